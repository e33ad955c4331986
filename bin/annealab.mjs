#!/usr/bin/env node
// Entry point of the `annealab` command. The sources are TypeScript; tsx compiles them on
// the fly so that a checkout works right after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli/main.ts');

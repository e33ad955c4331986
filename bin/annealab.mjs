#!/usr/bin/env node
// Entry point of the `annealab` command: the CLI as the Node build made it (out/node/cli.mjs,
// by `npm run build:node`; npm install runs it through the `prepare` script). Plain node:
// nothing is compiled here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/node/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `annealab: ${fileURLToPath(cli)} is missing: the CLI has not been built.\n` +
      `Run \`npm run build:node\` in ${root} (npm install does it too), then try again.\n`,
  );
  process.exit(1);
}
await import(cli.href);

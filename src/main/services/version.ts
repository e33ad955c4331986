// Annealab's version, from package.json, read once for every host (app.info, the System view,
// `annealab --version`).
import { readFileSync } from 'node:fs';

export const ANNEALAB_VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

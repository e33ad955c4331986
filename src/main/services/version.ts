// Annealab's version, for every host (app.info, the System view, `annealab --version`) and for
// the environment a trainer records. Imported from package.json, so the builds (esbuild's
// out/node, electron-vite's out/main) inline it and nothing reads the file at run time.
import { version } from '../../../package.json';

export const ANNEALAB_VERSION: string = version;

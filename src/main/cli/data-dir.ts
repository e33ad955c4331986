// Where Annealab keeps its database, datasets and checkpoints: --data-dir, else
// ANNEALAB_DATA_DIR, else the platform's application-data folder.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.ANNEALAB_DATA_DIR) return resolve(env.ANNEALAB_DATA_DIR);
  switch (process.platform) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Annealab');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Annealab');
    default:
      return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'annealab');
  }
}

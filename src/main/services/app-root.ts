// Where Annealab is installed, and the files its Node build made there. The same module runs
// from the sources (src/main/services/, under vitest or tsx), from the CLI's build (out/node/)
// and from the Electron build (out/main/, inside app.asar once packaged): each sits at its own
// depth below the install, so the root is found by walking up instead of by a relative URL.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { name as PACKAGE_NAME } from '../../../package.json';

let root: string | undefined;

/** The directory that holds Annealab's package.json. */
export function appRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      return (root = dir);
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${start}`);
  }
}

/** The command that (re)makes out/node/, for messages. */
export const NODE_BUILD_COMMAND = 'npm run build:node';

/**
 * A file of the Node build (out/node/<name>), e.g. the trainer that runs are forked from. Throws,
 * saying what to run, when it has not been built.
 */
export function nodeBuildFile(name: string): string {
  const path = join(appRoot(), 'out', 'node', name);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: build it with \`${NODE_BUILD_COMMAND}\` in ${appRoot()} (npm install does it too)`,
    );
  }
  return path;
}

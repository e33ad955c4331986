// What an import reports when it cannot go on. Every message names the file (or folder, or
// archive member) and the problem, because the user has to find and fix that file.

/** Bad input: the message is for the user, as it is. */
export class ImportError extends Error {
  /** The file, folder or archive member the problem is in, as the user gave it. */
  readonly file: string | undefined;
  constructor(file: string | undefined, problem: string) {
    super(file === undefined ? problem : `${file}: ${problem}`);
    this.name = 'ImportError';
    this.file = file;
  }
}

/** The import was cancelled through its AbortSignal; nothing was kept. */
export class ImportCancelledError extends Error {
  constructor(name: string) {
    super(`Import of "${name}" cancelled; nothing was kept`);
    this.name = 'ImportCancelledError';
  }
}

/** A dataset needs a package that is not installed (see ImageDecoder). */
export class MissingPackageError extends ImportError {
  readonly packageName: string;
  constructor(packageName: string, why: string) {
    super(undefined, `${why} needs the npm package "${packageName}", which is not installed`);
    this.name = 'MissingPackageError';
    this.packageName = packageName;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, name: string): void {
  if (signal?.aborted) throw new ImportCancelledError(name);
}

/** "1.5 MiB": sizes in messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

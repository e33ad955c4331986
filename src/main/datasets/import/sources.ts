// Reading what the user dropped: files and folders on disk, .gz files and .tar/.tar.gz
// archives, all into memory (an import builds the whole dataset in memory anyway), each
// with the SHA-256 of the bytes on disk. Nothing here trusts a size from inside a file: data
// is collected as it actually arrives, against one budget for the whole import.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ImportCancelledError, ImportError, formatBytes, throwIfAborted } from './errors';
import { TarReader, looksLikeTar } from './tar';

/** A file on disk the import read: what the metadata row lists with its hash. */
export interface DiskSource {
  path: string;
  bytes: number;
  sha256: string;
}

/** One file's bytes, wherever they came from. */
export interface SourceFile {
  /** How messages name it: a path, or "archive.tar.gz: member/path". */
  display: string;
  /**
   * Its path relative to what was dropped, '/'-separated, starting with the dropped folder's
   * or file's own name ("pets/cat/1.png", "cifar-10-binary.tar.gz/cifar-10-batches-bin/…").
   */
  rel: string;
  /** Its name without a ".gz" it was decompressed from. */
  name: string;
  data: Uint8Array;
  /** Given by the user as a file of its own (not found inside a folder or archive). */
  explicit: boolean;
  /** The disk file these bytes came from. */
  origin: DiskSource;
  /** The folder the user dropped that held it, if any. */
  droppedDir: string | undefined;
}

export interface ReadInputs {
  files: SourceFile[];
  /** Folders seen while walking dropped folders and archives: `rel` path to how messages name it. */
  dirs: Map<string, string>;
}

export interface ReadOptions {
  /** The most bytes the import may hold in memory after decompression. */
  maxBytes: number;
  /** How many times its size a .gz may expand to (a decompression bomb is refused early). */
  maxExpansionRatio?: number;
  signal: AbortSignal | undefined;
  name: string;
  onProgress: (done: number, total: number) => void;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const READ_CHUNK = 1 << 20;
const SMALL_FILE = 1 << 20;
const READ_CONCURRENCY = 16;

/** Below this much output a .gz may expand as much as it likes (tiny files compress wildly). */
const EXPANSION_FLOOR = 16 * 1024 * 1024;

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const isGzip = (data: Uint8Array) => data[0] === GZIP_MAGIC[0] && data[1] === GZIP_MAGIC[1];

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Skipped when walking folders: hidden files and the metadata macOS puts in archives. */
function skipped(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === 'Thumbs.db' || name === 'desktop.ini';
}

export async function readInputs(paths: readonly string[], options: ReadOptions): Promise<ReadInputs> {
  if (paths.length === 0)
    throw new ImportError(undefined, 'nothing to import: give at least one file or folder');
  const listed: {
    path: string;
    rel: string;
    explicit: boolean;
    droppedDir: string | undefined;
    size: number;
  }[] = [];
  const dirs = new Map<string, string>();
  for (const given of paths) {
    const path = resolve(given);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ImportError(given, code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code})`);
    }
    if (!info.isDirectory() && !info.isFile()) {
      // A FIFO would block the read for ever, a device read without end.
      throw new ImportError(
        given,
        `is not a regular file or folder (${kindOf(info)}); give the dataset's files or the folder that holds them`,
      );
    }
    if (info.isDirectory()) {
      const root = basename(path);
      dirs.set(root, path);
      await walk(path, root, path, listed, dirs, options);
    } else {
      listed.push({ path, rel: basename(path), explicit: true, droppedDir: undefined, size: info.size });
    }
  }

  const total = listed.reduce((n, f) => n + f.size, 0);
  let done = 0;
  let held = 0;
  const budget = (display: string, more: number): void => {
    held += more;
    if (held > options.maxBytes) {
      throw new ImportError(
        display,
        `the import would hold more than ${formatBytes(options.maxBytes)} in memory; it is too large to import`,
      );
    }
  };
  const onBytes = (n: number) => {
    done += n;
    options.onProgress(done, total);
  };
  // Small files (an image folder's thousands of images) are read several at a time.
  const small = await mapLimit(listed, READ_CONCURRENCY, async (entry) => {
    if (entry.size > SMALL_FILE) return null;
    throwIfAborted(options.signal, options.name);
    const data = await readFile(entry.path);
    if (isGzip(data) || looksLikeTar(data.subarray(0, 512))) return null;
    budget(entry.path, data.length);
    onBytes(data.length);
    const read: ReadResult = {
      kind: 'file',
      data,
      gzipped: false,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
    return read;
  });
  const files: SourceFile[] = [];
  for (const [k, entry] of listed.entries()) {
    throwIfAborted(options.signal, options.name);
    const read = small[k] ?? (await readDiskFile(entry.path, budget, options, onBytes));
    const origin: DiskSource = { path: entry.path, bytes: entry.size, sha256: read.sha256 };
    if (read.kind === 'archive') {
      for (const member of read.members) {
        const rel = `${entry.rel}/${member.path}`;
        const parts = rel.split('/');
        for (let i = 2; i < parts.length; i++) {
          dirs.set(parts.slice(0, i).join('/'), `${entry.path}: ${parts.slice(1, i).join('/')}`);
        }
        files.push({
          display: `${entry.path}: ${member.path}`,
          rel,
          name: basename(member.path),
          data: member.data,
          explicit: false,
          origin,
          droppedDir: entry.droppedDir,
        });
      }
    } else {
      const name = basename(entry.rel);
      files.push({
        display: entry.path,
        rel: entry.rel,
        name: read.gzipped ? name.replace(/\.gz$/i, '') : name,
        data: read.data,
        explicit: entry.explicit,
        origin,
        droppedDir: entry.droppedDir,
      });
    }
  }
  return { files, dirs };
}

async function walk(
  dir: string,
  rel: string,
  droppedDir: string,
  out: { path: string; rel: string; explicit: boolean; droppedDir: string | undefined; size: number }[],
  dirs: Map<string, string>,
  options: ReadOptions,
): Promise<void> {
  throwIfAborted(options.signal, options.name);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (skipped(entry.name)) continue;
    const path = join(dir, entry.name);
    const childRel = `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      dirs.set(childRel, path);
      await walk(path, childRel, droppedDir, out, dirs, options);
    } else if (entry.isFile()) {
      out.push({ path, rel: childRel, explicit: false, droppedDir, size: (await stat(path)).size });
    }
    // Symbolic links are not followed: a dropped folder is imported as it is.
  }
}

type ReadResult =
  | { kind: 'file'; data: Uint8Array; gzipped: boolean; sha256: string }
  | { kind: 'archive'; members: { path: string; data: Uint8Array }[]; sha256: string };

/**
 * Streams one disk file through the hash and, as its first bytes say, through gunzip and
 * the tar reader. `budget` is told about every byte kept in memory and throws past the limit.
 */
async function readDiskFile(
  path: string,
  budget: (display: string, more: number) => void,
  options: ReadOptions,
  onBytes: (n: number) => void,
): Promise<ReadResult> {
  const hash = createHash('sha256');
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let mode = 'undecided' as 'undecided' | 'plain' | 'tar';
  let tar: TarReader | undefined;
  const members: { path: string; data: Uint8Array }[] = [];
  const display = (inner?: string) => (inner === undefined ? path : `${path}: ${inner}`);

  const consume = (chunk: Uint8Array): void => {
    if (mode === 'undecided') {
      kept.push(chunk);
      keptBytes += chunk.length;
      if (keptBytes < 512) return;
      const head = Buffer.concat(kept);
      kept.length = 0;
      keptBytes = 0;
      if (looksLikeTar(head.subarray(0, 512))) {
        mode = 'tar';
        tar = new TarReader({
          archive: path,
          // Counted when the header announces the member, before its data arrives.
          onSize: (member, n) => budget(display(member), n),
          onMember: (member) => members.push(member),
        });
        tar.push(head);
      } else {
        mode = 'plain';
        budget(path, head.length);
        kept.push(head);
        keptBytes = head.length;
      }
      return;
    }
    if (mode === 'tar') {
      tar!.push(chunk);
    } else {
      budget(path, chunk.length);
      kept.push(chunk);
      keptBytes += chunk.length;
    }
  };

  const gzipped = await startsWithGzipMagic(path);
  // Compressed bytes read so far and bytes they expanded to: checked as they arrive, so that a
  // bomb is refused after a few MB of output, not after filling the memory budget.
  let compressed = 0;
  let expanded = 0;
  const ratio = options.maxExpansionRatio;
  const checkRatio = (more: number) => {
    expanded += more;
    if (!gzipped || ratio === undefined || expanded <= EXPANSION_FLOOR) return;
    if (expanded > ratio * Math.max(compressed, 1)) {
      throw new ImportError(
        path,
        `expands more than ${ratio}× its compressed size (${formatBytes(compressed)} read, ${formatBytes(expanded)} out): ` +
          'refused as a likely decompression bomb; if it is genuine, decompress it yourself and import the result',
      );
    }
  };
  try {
    const source = createReadStream(path, { highWaterMark: READ_CHUNK });
    const hashing = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        throwIfAborted(options.signal, options.name);
        hash.update(chunk);
        compressed += chunk.length;
        onBytes(chunk.length);
        yield chunk;
      }
    };
    const sink = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        checkRatio(chunk.length);
        consume(chunk);
      }
    };
    if (gzipped) await pipeline(source, hashing, createGunzip(), sink);
    else await pipeline(source, hashing, sink);
  } catch (error) {
    if (error instanceof ImportError || error instanceof ImportCancelledError) throw error;
    const e = error as NodeJS.ErrnoException;
    if (gzipped && e.code?.startsWith('Z_')) {
      throw new ImportError(
        path,
        e.code === 'Z_BUF_ERROR'
          ? 'corrupt gzip: the compressed data ends early (truncated download?)'
          : `corrupt gzip: ${e.message}`,
      );
    }
    throw new ImportError(path, `cannot be read (${e.code ?? e.message})`);
  }
  if (mode === 'tar') {
    tar!.end();
    return { kind: 'archive', members, sha256: hash.digest('hex') };
  }
  if (mode === 'undecided') {
    // A file shorter than one tar block.
    budget(path, keptBytes);
    mode = 'plain';
  }
  const data = kept.length === 1 ? kept[0]! : Buffer.concat(kept, keptBytes);
  return { kind: 'file', data, gzipped, sha256: hash.digest('hex') };
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && isGzip(head);
  } finally {
    await handle.close();
  }
}

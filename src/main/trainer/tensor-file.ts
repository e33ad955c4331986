// Files of named float32 tensors with a JSON header: best weights and checkpoints.
// Written atomically (temporary file, fsync, rename) so that a crash at any moment leaves
// either the previous file or the new one, never half of one.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { SavedTensor } from './methods';

const MAGIC = 'ANNEALAB-TENSORS 1\n';

interface Header<M> {
  meta: M;
  tensors: { group: string; name: string; shape: number[] }[];
}

/** Tensors come in named groups ("params", "best", "method") so one file can hold several sets. */
export type TensorGroups = Record<string, readonly SavedTensor[]>;

export function writeTensorFile<M>(path: string, meta: M, groups: TensorGroups): void {
  const entries = Object.entries(groups).flatMap(([group, ts]) => ts.map((t) => ({ group, t })));
  const header: Header<M> = {
    meta,
    tensors: entries.map(({ group, t }) => ({ group, name: t.name, shape: t.shape })),
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, MAGIC + JSON.stringify(header) + '\n');
    for (const { t } of entries)
      writeSync(fd, new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** The bytes `writeTensorFile` writes, in memory: for a download instead of a file. */
export function encodeTensorFile<M>(meta: M, groups: TensorGroups): Buffer {
  const entries = Object.values(groups).flat();
  const header: Header<M> = {
    meta,
    tensors: Object.entries(groups).flatMap(([group, ts]) =>
      ts.map((t) => ({ group, name: t.name, shape: t.shape })),
    ),
  };
  return Buffer.concat([
    Buffer.from(MAGIC + JSON.stringify(header) + '\n', 'utf8'),
    ...entries.map((t) => Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength)),
  ]);
}

export function readTensorFile<M>(path: string): { meta: M; groups: Record<string, SavedTensor[]> } {
  const buf = readFileSync(path);
  if (buf.subarray(0, MAGIC.length).toString('utf8') !== MAGIC) {
    throw new Error(`${path} is not an Annealab tensor file (wrong magic)`);
  }
  const headerEnd = buf.indexOf(10, MAGIC.length);
  if (headerEnd < 0) throw new Error(`${path} is truncated: its header never ends`);
  const header = JSON.parse(buf.subarray(MAGIC.length, headerEnd).toString('utf8')) as Header<M>;
  let offset = headerEnd + 1;
  const groups: Record<string, SavedTensor[]> = {};
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > buf.length) throw new Error(`${path} is truncated at tensor ${t.group}/${t.name}`);
    const values = new Float32Array(n);
    new Uint8Array(values.buffer).set(buf.subarray(offset, offset + n * 4));
    offset += n * 4;
    (groups[t.group] ??= []).push({ name: t.name, shape: t.shape, values });
  }
  if (offset !== buf.length) throw new Error(`${path} has ${buf.length - offset} bytes past its last tensor`);
  return { meta: header.meta, groups };
}

/** The header's `meta` alone, without reading the tensors (a checkpoint's epoch, say). */
export function readTensorFileMeta<M>(path: string): M {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(1 << 16);
    let total = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, total);
      if (n === 0) throw new Error(`${path} is truncated: its header never ends`);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      const buf = Buffer.concat(chunks);
      const end = buf.indexOf(10, MAGIC.length);
      if (end >= 0) {
        if (buf.subarray(0, MAGIC.length).toString('utf8') !== MAGIC) {
          throw new Error(`${path} is not an Annealab tensor file (wrong magic)`);
        }
        return (JSON.parse(buf.subarray(MAGIC.length, end).toString('utf8')) as Header<M>).meta;
      }
    }
  } finally {
    closeSync(fd);
  }
}

// Saved weights: a JSON header line (names and shapes) then the float32 values, written
// atomically so that a crash never leaves half a file where a good one was.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ParamSpec } from './models';

const MAGIC = 'ANNEALAB-WEIGHTS 1\n';

export function writeWeightsFile(
  path: string,
  params: readonly ParamSpec[],
  values: readonly Float32Array[],
): void {
  const header = JSON.stringify({ params: params.map((p) => ({ name: p.name, shape: p.shape })) }) + '\n';
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, MAGIC + header);
    for (const v of values) writeSync(fd, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readWeightsFile(path: string): {
  params: { name: string; shape: number[] }[];
  values: Float32Array[];
} {
  const buf = readFileSync(path);
  const magicEnd = MAGIC.length;
  if (buf.subarray(0, magicEnd).toString('utf8') !== MAGIC)
    throw new Error(`${path} is not an Annealab weights file`);
  const headerEnd = buf.indexOf(10, magicEnd);
  if (headerEnd < 0) throw new Error(`${path}: truncated header`);
  const { params } = JSON.parse(buf.subarray(magicEnd, headerEnd).toString('utf8')) as {
    params: { name: string; shape: number[] }[];
  };
  let offset = headerEnd + 1;
  const values = params.map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > buf.length) throw new Error(`${path}: truncated at parameter ${p.name}`);
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(buf.subarray(offset, offset + n * 4));
    offset += n * 4;
    return out;
  });
  return { params, values };
}

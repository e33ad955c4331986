// A small, strict tar reader (ustar, GNU long names, pax paths) fed chunk by chunk, so a
// .tar.gz streams through gunzip into it. It never writes anything: members are handed over
// in memory. A member whose path is absolute or climbs out with ".." makes the whole archive
// refused, because such an archive was made to write outside the folder it is extracted to.
import { ImportError } from './errors';

const BLOCK = 512;

export interface TarMember {
  /** The member's path inside the archive, '/'-separated, without a leading "./". */
  path: string;
  data: Uint8Array;
}

/** True when `block` (the first 512 bytes of a file) is a tar header with a valid checksum. */
export function looksLikeTar(block: Uint8Array): boolean {
  if (block.length < BLOCK) return false;
  if (block.every((b) => b === 0)) return false;
  const stored = parseOctal(block.subarray(148, 156));
  return stored !== null && stored === headerChecksum(block);
}

function headerChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

function parseOctal(field: Uint8Array): number | null {
  const text = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return null;
  return parseInt(text, 8);
}

/** Sizes: octal, or GNU's base-256 (high bit set) for members over 8 GiB. */
function parseSize(field: Uint8Array): number | null {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  return parseOctal(field);
}

function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8');
}

/** pax extended header records: "<len> <key>=<value>\n". */
function paxPath(data: Uint8Array): string | undefined {
  const text = Buffer.from(data).toString('utf8');
  let path: string | undefined;
  for (const record of text.split('\n')) {
    const m = /^\d+ path=(.*)$/s.exec(record);
    if (m) path = m[1];
  }
  return path;
}

export interface TarReaderOptions {
  /** The archive, as messages name it. */
  archive: string;
  /** Called with each regular file, in archive order. */
  onMember: (member: TarMember) => void;
  /** Called with each member's size before its data arrives: throw to refuse it. */
  onSize?: (path: string, size: number) => void;
}

/**
 * Push the archive's bytes in, then call `end()`. Throws ImportError for a corrupt or
 * truncated archive and for unsafe paths.
 */
export class TarReader {
  private readonly archive: string;
  private readonly onMember: (member: TarMember) => void;
  private readonly onSize: ((path: string, size: number) => void) | undefined;
  /** Bytes of an unfinished header block. */
  private header = new Uint8Array(BLOCK);
  private headerFill = 0;
  /** The member being read, if any. */
  private current:
    { path: string; type: string; size: number; chunks: Uint8Array[]; received: number } | undefined;
  /** Padding bytes still to skip after the current member's data. */
  private padding = 0;
  private position = 0;
  private ended = false;
  private nextPath: string | undefined;
  private zeroBlocks = 0;

  constructor(options: TarReaderOptions) {
    this.archive = options.archive;
    this.onMember = options.onMember;
    this.onSize = options.onSize;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length && !this.ended) {
      if (this.current) {
        const take = Math.min(this.current.size - this.current.received, chunk.length - offset);
        if (this.current.type === '0' || this.current.type === 'x' || this.current.type === 'L') {
          this.current.chunks.push(chunk.subarray(offset, offset + take));
        }
        this.current.received += take;
        offset += take;
        if (this.current.received === this.current.size) this.finishMember();
      } else if (this.padding > 0) {
        const skip = Math.min(this.padding, chunk.length - offset);
        this.padding -= skip;
        offset += skip;
      } else {
        const take = Math.min(BLOCK - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.startMember();
          this.position += BLOCK;
        }
      }
    }
  }

  /** The stream is over: the archive must not stop inside a member. */
  end(): void {
    if (this.current) {
      throw new ImportError(
        this.archive,
        `truncated archive: member "${this.current.path}" ends after ${this.current.received} of its ${this.current.size} bytes`,
      );
    }
    if (this.headerFill !== 0) {
      throw new ImportError(
        this.archive,
        `truncated archive: it stops inside a header at byte ${this.position}`,
      );
    }
  }

  private startMember(): void {
    const block = this.header;
    if (block.every((b) => b === 0)) {
      // Two zero blocks end the archive; anything after them is padding.
      if (++this.zeroBlocks === 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    if (parseOctal(block.subarray(148, 156)) !== headerChecksum(block)) {
      throw new ImportError(
        this.archive,
        `corrupt archive: the header at byte ${this.position} has a wrong checksum (not a tar archive, or damaged)`,
      );
    }
    const size = parseSize(block.subarray(124, 136));
    if (size === null) {
      throw new ImportError(
        this.archive,
        `corrupt archive: the header at byte ${this.position} has an unreadable size`,
      );
    }
    const typeByte = block[156]!;
    const type = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
    const isUstar = Buffer.from(block.subarray(257, 262)).toString('latin1') === 'ustar';
    const prefix = isUstar ? cString(block.subarray(345, 500)) : '';
    const rawName =
      this.nextPath ??
      (prefix ? `${prefix}/${cString(block.subarray(0, 100))}` : cString(block.subarray(0, 100)));
    if (type !== 'x' && type !== 'L' && type !== 'g') this.nextPath = undefined;
    const path = type === 'x' || type === 'L' || type === 'g' ? rawName : checkPath(this.archive, rawName);

    if (type === '0' || type === '7') this.onSize?.(path, size);
    this.current = { path, type: type === '7' ? '0' : type, size, chunks: [], received: 0 };
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishMember();
  }

  private finishMember(): void {
    const member = this.current!;
    this.current = undefined;
    this.position += member.size + this.padding;
    const data = member.chunks.length === 1 ? member.chunks[0]! : Buffer.concat(member.chunks);
    if (member.type === 'x') {
      this.nextPath = paxPath(data);
    } else if (member.type === 'L') {
      this.nextPath = cString(data);
    } else if (member.type === '0') {
      this.onMember({ path: member.path, data });
    }
    // Directories, links, devices and global pax headers carry nothing we read; links are
    // never followed.
  }
}

/** The member path, normalised, or an ImportError if it could escape the extraction folder. */
function checkPath(archive: string, raw: string): string {
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw)) {
    throw new ImportError(
      archive,
      `refused: the archive entry "${raw}" has an absolute path (nothing was extracted)`,
    );
  }
  const parts = raw.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new ImportError(
      archive,
      `refused: the archive entry "${raw}" contains ".." and would land outside the folder (nothing was extracted)`,
    );
  }
  return parts.join('/');
}

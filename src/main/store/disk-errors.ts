// A full, read-only or forbidden disk, said as the user can act on it: which device, which
// file, how much room is left. Node says "ENOSPC: no space left on device, write" and SQLite
// "disk I/O error", neither naming a file. Plain fs only (no SQLite): the trainer uses it too.
import { readFileSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const SPACE = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const PERMISSION = new Set(['EACCES', 'EPERM', 'SQLITE_PERM', 'SQLITE_CANTOPEN']);
const READ_ONLY = new Set(['EROFS', 'SQLITE_READONLY']);

/** The error's code, whether Node's (`ENOSPC`) or better-sqlite3's (`SQLITE_IOERR_WRITE`). */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The device a path lives on and where it is mounted, from /proc/mounts (Linux); else null. */
function deviceOf(path: string): string | null {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return null;
  }
  const abs = resolve(path);
  let best: { device: string; at: string } | null = null;
  for (const line of mounts.split('\n')) {
    const [device, at] = line.split(' ');
    if (!device || !at) continue;
    const mountedAt = at.replace(/\\040/g, ' ');
    const inside = mountedAt === '/' || abs === mountedAt || abs.startsWith(`${mountedAt}/`);
    if (inside && (!best || mountedAt.length > best.at.length)) best = { device, at: mountedAt };
  }
  return best && (best.at === '/' ? best.device : `${best.device} (${best.at})`);
}

/** Free megabytes where `path` is (or would be), for the message; null when it cannot be told. */
export function freeMegabytes(path: string): number | null {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      const s = statfsSync(p);
      return (s.bavail * s.bsize) / 1e6;
    } catch {
      if (dirname(p) === p) return null;
    }
  }
}

/**
 * The message for a disk error met writing `path`, or null when `err` is not one. SQLite's
 * generic I/O error counts as a full disk when the disk is in fact (nearly) full.
 */
export function describeDiskError(err: unknown, path: string): string | null {
  const code = codeOf(err);
  if (!code) return null;
  const free = freeMegabytes(path);
  const device = deviceOf(path) ?? 'its device';
  const room = free === null ? '' : ` (${free.toFixed(1)} MB free)`;
  const nearlyFull = free !== null && free < 1;
  if (SPACE.has(code) || (code.startsWith('SQLITE_IOERR') && nearlyFull)) {
    return `no space left on ${device} writing ${path}${room}; free some space (or use another --data-dir), then run it again`;
  }
  if (READ_ONLY.has(code)) {
    return `${device} is mounted read-only: cannot write ${path}; use a writable --data-dir`;
  }
  if (PERMISSION.has(code)) {
    return `permission denied writing ${path} on ${device}; make it writable for this user, or use another --data-dir`;
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return `disk I/O error on ${device} writing ${path}${room}; check the disk, then run it again`;
  }
  return null;
}

/** An Error with the message of a disk error met writing `path`; `err` itself when it is none. */
export function withDiskMessage(err: unknown, path: string): unknown {
  const message = describeDiskError(err, path);
  return message === null ? err : Object.assign(new Error(message, { cause: err }), { disk: true as const });
}

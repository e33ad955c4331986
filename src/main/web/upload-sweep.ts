// Upload batches a browser abandoned (closed mid-upload, lost its network) are never imported,
// so nothing removes them; the browser host sweeps them when it starts. A batch is abandoned when
// nothing in it changed for `maxAgeMs`: a live upload writes its files continuously, and a host
// sharing the data dir may be receiving one right now, so age and not mere presence decides.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** The newest modification time of `path` or anything under it. */
async function newestChange(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestChange(join(path, entry)));
  return newest;
}

/** Removes the batches under `uploadsDir` untouched for `maxAgeMs`; returns their names. */
export async function sweepAbandonedUploads(
  uploadsDir: string,
  maxAgeMs = ABANDONED_AFTER_MS,
  now = Date.now(),
): Promise<string[]> {
  let batches: string[];
  try {
    batches = await readdir(uploadsDir);
  } catch {
    return []; // No upload ever happened here.
  }
  const removed: string[] = [];
  for (const batch of batches) {
    const path = join(uploadsDir, batch);
    try {
      if (now - (await newestChange(path)) < maxAgeMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(batch);
    } catch {
      // Removed meanwhile by the upload's own clean-up: nothing left to sweep.
    }
  }
  return removed;
}

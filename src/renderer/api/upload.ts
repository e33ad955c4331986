// Importing from a browser: it never tells where dropped files are, so the files themselves go
// to the browser host (POST /api/upload, one request a file, the cookie authenticates), which
// then imports the uploaded folder as `datasets.import` would and removes it.
import {
  ContractError,
  type ContractErrorBody,
  type ImportedDatasetView,
  type Input,
} from '../../shared/contract';

/** A file to upload, with its path relative to what was dropped (`folder/sub/name`). */
export interface UploadFile {
  path: string;
  file: File;
}

async function reply<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as { value?: unknown; error?: ContractErrorBody } | null;
  if (!res.ok || !body || body.error) {
    throw ContractError.fromBody(
      body?.error ?? {
        message:
          res.status === 401
            ? 'not authorised: open the URL with the token that `annealab serve` printed'
            : `HTTP ${res.status}`,
        code: 'internal',
      },
    );
  }
  return body.value as T;
}

/** Every file under a dropped entry (a file, or a folder walked to its leaves). */
async function walk(entry: FileSystemEntry, out: UploadFile[]): Promise<void> {
  const rel = entry.fullPath.replace(/^\/+/, '') || entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ path: rel, file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in pages (100 at a time in Chromium) until it answers none.
    for (;;) {
      const page = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (page.length === 0) break;
      for (const child of page) await walk(child, out);
    }
  }
}

/**
 * The files of a drop, folders included, with their relative paths. The entries must be taken
 * while the drop event runs (the DataTransfer is emptied after), so call this synchronously
 * from the handler; it walks the folders afterwards.
 */
export function droppedFiles(data: DataTransfer): Promise<UploadFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of [...data.items]) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...data.files);
  return (async () => {
    const out: UploadFile[] = loose.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    for (const e of entries) await walk(e, out);
    return out;
  })();
}

/** Files chosen with <input type=file> (a folder's keep their relative paths). */
export function chosenFiles(list: FileList | null): UploadFile[] {
  return [...(list ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** A dataset name from what was dropped: its top folder, or its first file without extensions. */
export function nameFromFiles(files: UploadFile[]): string {
  const first = files[0]?.path ?? '';
  const top = first.includes('/') ? first.slice(0, first.indexOf('/')) : first.replace(/\..*$/, '');
  return (
    top
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 100) || 'uploaded'
  );
}

export interface UploadProgress {
  done: number;
  total: number;
}

/** Uploads the files as one batch, then imports it; the host removes the batch either way. */
export async function uploadAndImport(
  files: UploadFile[],
  input: Omit<Input<'datasets.import'>, 'paths'>,
  onProgress: (p: UploadProgress) => void = () => {},
  base = '',
): Promise<ImportedDatasetView> {
  const batch = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const total = files.reduce((s, f) => s + f.file.size, 0);
  let done = 0;
  onProgress({ done, total });
  try {
    for (const { path, file } of files) {
      const res = await fetch(`${base}/api/upload?batch=${batch}&path=${encodeURIComponent(path)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: file,
        credentials: 'same-origin',
      });
      await reply(res);
      done += file.size;
      onProgress({ done, total });
    }
  } catch (err) {
    void fetch(`${base}/api/upload?batch=${batch}`, { method: 'DELETE', credentials: 'same-origin' }).catch(
      () => {},
    );
    throw err;
  }
  const res = await fetch(`${base}/api/upload/import?batch=${batch}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
    credentials: 'same-origin',
  });
  return reply<ImportedDatasetView>(res);
}

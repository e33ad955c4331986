// Saving and opening files: native dialogs in the desktop app, a download or a file picker
// in the browser.
import type { ExportFile } from '../../shared/contract';
import { bridge, isDesktop } from './bridge';

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Returns where it went: a path (desktop), the file name (browser download), or null if cancelled. */
export async function saveFile(file: ExportFile): Promise<string | null> {
  if (isDesktop()) {
    const saved = await bridge().invoke('host.saveFile', {
      filename: file.filename,
      content: file.content,
      encoding: file.encoding,
    });
    return saved?.path ?? null;
  }
  const blob = new Blob([file.encoding === 'base64' ? base64ToBytes(file.content) : file.content], {
    type: file.mime,
  });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return file.filename;
}

/** A text file the user picks; null when cancelled. */
export async function openTextFile(
  title: string,
  extensions: string[],
): Promise<{ name: string; content: string } | null> {
  if (isDesktop()) return bridge().invoke('host.openFile', { title, extensions });
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = extensions.map((e) => `.${e}`).join(',');
    input.onchange = () => {
      const f = input.files?.[0];
      if (!f) return resolve(null);
      void f.text().then((content) => resolve({ name: f.name, content }));
    };
    input.click();
  });
}

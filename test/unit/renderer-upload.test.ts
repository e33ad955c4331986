// The browser's side of an upload: a drop's files, folders walked (readEntries answers in pages)
// with their paths relative to what was dropped, and a dataset name from them.
import { describe, expect, it } from 'vitest';
import { droppedFiles, nameFromFiles } from '../../src/renderer/api/upload';

type Entry = {
  name: string;
  fullPath: string;
  isFile: boolean;
  isDirectory: boolean;
  file?: (ok: (f: File) => void) => void;
  createReader?: () => { readEntries: (ok: (e: Entry[]) => void) => void };
};

function fileEntry(fullPath: string): Entry {
  const name = fullPath.slice(fullPath.lastIndexOf('/') + 1);
  return { name, fullPath, isFile: true, isDirectory: false, file: (ok) => ok(new File([fullPath], name)) };
}

function dirEntry(fullPath: string, children: Entry[], pageSize = 2): Entry {
  return {
    name: fullPath.slice(fullPath.lastIndexOf('/') + 1),
    fullPath,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok) => {
          const page = children.slice(at, at + pageSize);
          at += page.length;
          setTimeout(() => ok(page), 0);
        },
      };
    },
  };
}

describe('dropped files', () => {
  it('walks dropped folders, keeping relative paths, and takes loose files', async () => {
    const folder = dirEntry('/mnist', [
      fileEntry('/mnist/train-images-idx3-ubyte'),
      fileEntry('/mnist/train-labels-idx1-ubyte'),
      dirEntry('/mnist/test', [fileEntry('/mnist/test/t10k-images-idx3-ubyte')]),
    ]);
    const loose = new File(['x'], 'extra.csv');
    const data = {
      items: [
        { kind: 'file', webkitGetAsEntry: () => folder, getAsFile: () => null },
        { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => loose },
        { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null },
      ],
      files: [],
    } as unknown as DataTransfer;
    const files = await droppedFiles(data);
    expect(files.map((f) => f.path).sort()).toEqual([
      'extra.csv',
      'mnist/test/t10k-images-idx3-ubyte',
      'mnist/train-images-idx3-ubyte',
      'mnist/train-labels-idx1-ubyte',
    ]);
    const one = files.find((f) => f.path === 'mnist/test/t10k-images-idx3-ubyte')!;
    await expect(one.file.text()).resolves.toBe('/mnist/test/t10k-images-idx3-ubyte');
    expect(nameFromFiles(files.filter((f) => f.path.startsWith('mnist/')))).toBe('mnist');
    expect(nameFromFiles([{ path: 'my data.tar.gz', file: loose }])).toBe('my-data');
  });
});

// Errors of an import of uploaded files name the user's files, not the host's upload folder.
import { describe, expect, it } from 'vitest';
import { userFacingUploadMessage } from '../../src/main/web/upload-errors';

const folder = '/home/u/.annealab/uploads/b1x9';

describe('upload error messages', () => {
  it('names a file by its path inside what was uploaded', () => {
    expect(userFacingUploadMessage(`${folder}/train/labels.gz: not an IDX file (magic 0x1f8b)`, folder)).toBe(
      '"train/labels.gz": not an IDX file (magic 0x1f8b)',
    );
    expect(userFacingUploadMessage(`cannot read "${folder}/a b.csv"`, folder)).toBe('cannot read "a b.csv"');
  });

  it('calls the folder itself "the uploaded files", and leaves other text alone', () => {
    expect(userFacingUploadMessage(`no dataset found in ${folder}`, folder)).toBe(
      'no dataset found in the uploaded files',
    );
    expect(userFacingUploadMessage('a dataset named "x" exists', folder)).toBe('a dataset named "x" exists');
    expect(userFacingUploadMessage(`${folder}0/x`, folder)).not.toContain('"0/x"');
  });

  it('matches Windows separators', () => {
    const win = 'C:\\Users\\u\\annealab\\uploads\\b1';
    expect(userFacingUploadMessage(`${win}\\imgs\\cat.png: not an image`, win)).toBe(
      '"imgs/cat.png": not an image',
    );
  });
});

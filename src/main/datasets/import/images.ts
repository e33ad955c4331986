// Image files: recognising PNG, JPEG and GIF from their first bytes, reading their size and
// colour type from the header (so mixed sizes are refused before anything is decoded), and
// decoding them through an ImageDecoder: sharp (libvips) by default.
import type Sharp from 'sharp';
import { ImportError, MissingPackageError } from './errors';

export type ImageFormat = 'png' | 'jpeg' | 'gif';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** 1 for greyscale images (with or without alpha), else 3. Alpha is never kept. */
  channels: 1 | 3;
}

/** Larger images are refused before decoding: one would need over 256 MiB of RGBA. */
export const MAX_IMAGE_PIXELS = 1 << 26;

export interface ImageDecoder {
  readonly name: string;
  /**
   * The image as `height` × `width` × `channels` bytes, HWC (scaled if that is not its own
   * size), composited over black where it is transparent; greyscale for 1 channel, RGB for 3.
   * Throws ImportError if it cannot be read.
   */
  decode(
    file: string,
    data: Uint8Array,
    info: ImageInfo,
    target: { width: number; height: number; channels: 1 | 3 },
  ): Promise<Uint8Array>;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function imageFormatOf(data: Uint8Array): ImageFormat | null {
  if (PNG_SIGNATURE.every((b, i) => data[i] === b)) return 'png';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 6 && /^GIF8[79]a$/.test(Buffer.from(data.subarray(0, 6)).toString('latin1')))
    return 'gif';
  return null;
}

export const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif)$/i;

/**
 * Reads the header and checks the file's structure (PNG chunks and their CRCs, JPEG's
 * end marker, GIF's trailer). Throws ImportError naming `file` for anything unreadable.
 */
export function probeImage(file: string, data: Uint8Array): ImageInfo {
  const format = imageFormatOf(data);
  if (!format) {
    throw new ImportError(
      file,
      `unreadable image: not a PNG, JPEG or GIF file (it starts with ${hex(data.subarray(0, 8))})`,
    );
  }
  const info =
    format === 'png'
      ? probePng(file, data)
      : format === 'jpeg'
        ? probeJpeg(file, data)
        : probeGif(file, data);
  if (info.width < 1 || info.height < 1) {
    throw new ImportError(
      file,
      `unreadable image: the header says it is ${info.width}×${info.height} pixels`,
    );
  }
  if (info.width * info.height > MAX_IMAGE_PIXELS) {
    throw new ImportError(
      file,
      `image is ${info.width}×${info.height} pixels, more than the ${MAX_IMAGE_PIXELS} an imported image may have`,
    );
  }
  return info;
}

function hex(bytes: Uint8Array): string {
  return (
    Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') || '(nothing: the file is empty)'
  );
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function probePng(file: string, data: Uint8Array): ImageInfo {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 8;
  let info: ImageInfo | undefined;
  let sawData = false;
  while (true) {
    if (offset + 12 > data.length) {
      throw new ImportError(file, 'unreadable image: truncated PNG (it ends before its IEND chunk)');
    }
    const length = view.getUint32(offset);
    const type = Buffer.from(data.subarray(offset + 4, offset + 8)).toString('latin1');
    if (offset + 12 + length > data.length) {
      throw new ImportError(
        file,
        `unreadable image: truncated PNG (its ${type} chunk at byte ${offset} claims ${length} bytes, the file ends before)`,
      );
    }
    if (crc32(data, offset + 4, offset + 8 + length) !== view.getUint32(offset + 8 + length)) {
      throw new ImportError(
        file,
        `unreadable image: corrupt PNG (the CRC of its ${type} chunk at byte ${offset} is wrong)`,
      );
    }
    if (!info) {
      if (type !== 'IHDR' || length !== 13) {
        throw new ImportError(file, 'unreadable image: corrupt PNG (it does not start with an IHDR chunk)');
      }
      const colourType = data[offset + 8 + 9]!;
      info = {
        format: 'png',
        width: view.getUint32(offset + 8),
        height: view.getUint32(offset + 12),
        channels: colourType === 0 || colourType === 4 ? 1 : 3,
      };
    }
    if (type === 'IDAT') sawData = true;
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!sawData) throw new ImportError(file, 'unreadable image: corrupt PNG (it has no image data)');
  return info;
}

function probeJpeg(file: string, data: Uint8Array): ImageInfo {
  let offset = 2;
  let info: ImageInfo | undefined;
  while (!info) {
    // Markers may be padded with extra 0xFF bytes.
    while (offset < data.length && data[offset] === 0xff && data[offset + 1] === 0xff) offset++;
    if (offset + 4 > data.length || data[offset] !== 0xff) {
      throw new ImportError(file, 'unreadable image: corrupt or truncated JPEG (no frame header found)');
    }
    const marker = data[offset + 1]!;
    const length = (data[offset + 2]! << 8) | data[offset + 3]!;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (offset + 10 > data.length)
        throw new ImportError(file, 'unreadable image: truncated JPEG frame header');
      const components = data[offset + 9]!;
      info = {
        format: 'jpeg',
        height: (data[offset + 5]! << 8) | data[offset + 6]!,
        width: (data[offset + 7]! << 8) | data[offset + 8]!,
        channels: components === 1 ? 1 : 3,
      };
    } else if (marker === 0xd9 || marker === 0xda) {
      throw new ImportError(file, 'unreadable image: corrupt JPEG (image data before any frame header)');
    }
    offset += 2 + length;
  }
  // A JPEG ends with the EOI marker, sometimes followed by padding.
  let end = data.length;
  const stop = Math.max(0, data.length - 1024);
  while (end > stop && !(data[end - 2] === 0xff && data[end - 1] === 0xd9)) end--;
  if (end === stop) throw new ImportError(file, 'unreadable image: truncated JPEG (no end-of-image marker)');
  return info;
}

function probeGif(file: string, data: Uint8Array): ImageInfo {
  if (data.length < 14) throw new ImportError(file, 'unreadable image: truncated GIF');
  if (data[data.length - 1] !== 0x3b)
    throw new ImportError(file, 'unreadable image: truncated GIF (no trailer byte)');
  return {
    format: 'gif',
    width: data[6]! | (data[7]! << 8),
    height: data[8]! | (data[9]! << 8),
    channels: 3,
  };
}

type SharpModule = { default: typeof Sharp };
let sharpModule: Promise<SharpModule> | undefined;

function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import('sharp').catch((error: unknown) => {
    sharpModule = undefined;
    throw new MissingPackageError('sharp', `Decoding images (${(error as Error).message})`);
  });
  return sharpModule;
}

/**
 * The default decoder: sharp. Transparency is flattened onto black; an image at the target
 * size is not resampled, so its pixels come out as stored; another size is scaled to fill
 * the target exactly (aspect ratio not kept). EXIF orientation is not applied: images are
 * imported as stored, like the other formats.
 */
export const sharpDecoder: ImageDecoder = {
  name: 'sharp',
  async decode(file, data, info, { width, height, channels }) {
    const { default: sharp } = await loadSharp();
    try {
      let image = sharp(data, {
        failOn: 'error',
        limitInputPixels: MAX_IMAGE_PIXELS,
        animated: false,
      }).flatten({
        background: '#000000',
      });
      if (width !== info.width || height !== info.height)
        image = image.resize(width, height, { fit: 'fill' });
      const { data: pixels, info: out } = await image
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (out.width !== width || out.height !== height || out.channels !== channels) {
        throw new Error(`decoded to ${out.width}×${out.height} with ${out.channels} channels`);
      }
      return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
    } catch (error) {
      throw new ImportError(file, `unreadable image: ${(error as Error).message}`);
    }
  },
};

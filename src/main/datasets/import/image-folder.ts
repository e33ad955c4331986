// Image folders: root/<class>/<image>, or root/train/<class>/<image> and root/test/<class>/…
// ("training" and "testing" work too). Class names are the folder names. Every image is
// probed first, so mixed sizes are refused (unless a resize is asked for) before any decoding.
import { formatBytes, ImportError, throwIfAborted } from './errors';
import { probeImage, type ImageDecoder, type ImageInfo } from './images';
import { MAX_CLASSES } from './classes';
import type { SourceFile } from './sources';
import type { ImporterContext, ParsedDataset } from './types';

const DECODE_BATCH = 32;
const SPLIT_FOLDER = /^(train|training|test|testing)$/i;
const isTestFolder = (name: string) => /^test/i.test(name);
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

interface Placed {
  file: SourceFile;
  className: string;
  /** The class folder's `rel` path. */
  classDir: string;
  isTest: boolean;
  info?: ImageInfo;
}

export async function importImageFolder(
  files: readonly SourceFile[],
  dirs: ReadonlyMap<string, string>,
  decoder: ImageDecoder,
  ctx: ImporterContext,
): Promise<ParsedDataset> {
  const { placed, classDirs, root: rootRel } = placeImages(files, [...dirs.keys()]);
  const root = dirs.get(rootRel) ?? rootRel;

  const trainClasses = [...new Set(placed.filter((p) => !p.isTest).map((p) => p.className))].sort(natural);
  const testClasses = new Set(placed.filter((p) => p.isTest).map((p) => p.className));
  if (trainClasses.length === 0) {
    throw new ImportError(
      root,
      'has test images but no training images (expected train/<class>/<image> as well)',
    );
  }
  for (const c of testClasses) {
    if (!trainClasses.includes(c)) {
      const dir = placed.find((p) => p.isTest && p.className === c)!.classDir;
      throw new ImportError(dirs.get(dir) ?? dir, `test class "${c}" has no training folder (train/${c})`);
    }
  }
  if (trainClasses.length < 2) {
    throw new ImportError(
      root,
      `found only one class folder ("${trainClasses[0]}"); an image folder needs one subfolder per class`,
    );
  }
  if (trainClasses.length > MAX_CLASSES) {
    throw new ImportError(
      root,
      `${trainClasses.length} class folders; at most ${MAX_CLASSES} classes are supported`,
    );
  }
  const filled = new Set(placed.map((p) => p.classDir));
  for (const dir of classDirs) {
    if (!filled.has(dir))
      throw new ImportError(dirs.get(dir) ?? dir, 'empty class: this class folder holds no images');
  }

  // Probe every header before decoding anything.
  for (const p of placed) p.info = probeImage(p.file.display, p.file.data);
  const first = placed[0]!;
  const odd = placed.find(
    (p) => p.info!.width !== first.info!.width || p.info!.height !== first.info!.height,
  );
  if (odd && !ctx.resize) {
    throw new ImportError(
      odd.file.display,
      `mixed image sizes: this image is ${odd.info!.width}×${odd.info!.height} (W×H), ${first.file.display} is ${first.info!.width}×${first.info!.height}; ask for a resize (--resize HxW) to scale them all to one size`,
    );
  }
  const height = ctx.resize?.height ?? first.info!.height;
  const width = ctx.resize?.width ?? first.info!.width;
  const channels: 1 | 3 = placed.every((p) => p.info!.channels === 1) ? 1 : 3;
  const imageBytes = height * width * channels;
  if (placed.length * imageBytes > ctx.maxBytes) {
    throw new ImportError(
      root,
      `${placed.length} images of ${height}×${width}×${channels} need ${formatBytes(placed.length * imageBytes)}, more than the ${formatBytes(ctx.maxBytes)} an import may hold`,
    );
  }

  const classIndex = new Map(trainClasses.map((c, i) => [c, i]));
  const order = (a: Placed, b: Placed) =>
    classIndex.get(a.className)! - classIndex.get(b.className)! || natural(a.file.rel, b.file.rel);
  const train = placed.filter((p) => !p.isTest).sort(order);
  const test = placed.filter((p) => p.isTest).sort(order);
  let done = 0;
  const decode = async (group: Placed[]) => {
    const images = new Uint8Array(group.length * imageBytes);
    const labels = new Uint8Array(group.length);
    // A few images in flight at once: sharp decodes on libuv's thread pool.
    for (let start = 0; start < group.length; start += DECODE_BATCH) {
      throwIfAborted(ctx.signal, ctx.name);
      const batch = group.slice(start, start + DECODE_BATCH);
      const decoded = await Promise.all(
        batch.map((p) => decoder.decode(p.file.display, p.file.data, p.info!, { width, height, channels })),
      );
      decoded.forEach((pixels, k) => {
        const i = start + k;
        images.set(pixels, i * imageBytes);
        labels[i] = classIndex.get(group[i]!.className)!;
      });
      done += batch.length;
      ctx.onProgress(done, placed.length);
    }
    return { images, labels, count: group.length };
  };
  const trainSplit = await decode(train);
  const testSplit = test.length ? await decode(test) : null;
  ctx.onProgress(placed.length, placed.length);

  const notes = [`decoded with ${decoder.name}`];
  if (ctx.resize) notes.push(`resized to ${height}×${width}`);
  if (channels === 1) notes.push('greyscale');
  return {
    format: 'image-folder',
    height,
    width,
    channels,
    classes: trainClasses,
    train: trainSplit,
    test: testSplit,
    used: placed.map((p) => p.file),
    notes,
    sortedByClass: true,
  };
}

/** Each image's class and split from its path, the class folders, and the common root. */
function placeImages(
  files: readonly SourceFile[],
  dirs: readonly string[],
): { placed: Placed[]; classDirs: string[]; root: string } {
  const withDirs = files.map((file) => ({ file, parts: file.rel.split('/').slice(0, -1) }));
  const splitAt = withDirs.map(({ parts }) => parts.findIndex((part) => SPLIT_FOLDER.test(part)));
  const withSplit = splitAt.filter((i) => i !== -1).length;
  if (withSplit > 0 && withSplit < files.length) {
    const inside = files[splitAt.findIndex((i) => i !== -1)]!;
    const outside = files[splitAt.findIndex((i) => i === -1)]!;
    throw new ImportError(
      outside.display,
      `is not in a train or test folder, but ${inside.display} is; put every image under train/<class>/ or test/<class>/, or none`,
    );
  }

  if (withSplit > 0) {
    const prefix = withDirs[0]!.parts.slice(0, splitAt[0]);
    const root = prefix.join('/') || '.';
    const placed = withDirs.map(({ file, parts }, k) => {
      const at = splitAt[k]!;
      if (parts.slice(0, at).join('/') !== prefix.join('/')) {
        throw new ImportError(
          file.display,
          `is under a train/test folder in another place than ${withDirs[0]!.file.display}`,
        );
      }
      const className = parts[at + 1];
      if (className === undefined) {
        throw new ImportError(
          file.display,
          `is not inside a class folder (expected ${parts[at]}/<class>/<image>)`,
        );
      }
      return {
        file,
        className,
        classDir: parts.slice(0, at + 2).join('/'),
        isTest: isTestFolder(parts[at]!),
      };
    });
    const classDirs = dirs.filter((d) => {
      const parts = d.split('/');
      return (
        parts.length === prefix.length + 2 &&
        parts.slice(0, prefix.length).join('/') === prefix.join('/') &&
        SPLIT_FOLDER.test(parts[prefix.length]!)
      );
    });
    return { placed, classDirs, root };
  }

  // No split folders: the classes are the folders right below the images' common root.
  let prefix = withDirs[0]!.parts;
  for (const { parts } of withDirs) {
    let n = 0;
    while (n < prefix.length && n < parts.length && prefix[n] === parts[n]) n++;
    prefix = prefix.slice(0, n);
  }
  const root = prefix.join('/') || '.';
  const placed = withDirs.map(({ file, parts }) => {
    const className = parts[prefix.length];
    if (className === undefined) {
      const distinct = new Set(withDirs.map((w) => w.parts.join('/')));
      throw new ImportError(
        file.display,
        distinct.size === 1
          ? `all images are in one folder (${root}); an image folder needs one subfolder per class`
          : `is not inside a class folder (expected <folder>/<class>/<image>)`,
      );
    }
    return { file, className, classDir: parts.slice(0, prefix.length + 1).join('/'), isTest: false };
  });
  const classDirs = dirs.filter((d) => {
    const parts = d.split('/');
    return parts.length === prefix.length + 1 && parts.slice(0, prefix.length).join('/') === prefix.join('/');
  });
  return { placed, classDirs, root };
}

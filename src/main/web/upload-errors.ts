// An import of uploaded files reads them from <dataDir>/uploads/<batch>/; its errors name the
// files as the user knows them (their names, relative to what was dropped), not that folder.

/**
 * `message` with every path inside `folder` given relative to it ("train/x.png"), and the folder
 * itself called "the uploaded files". Both separators are matched: a message may quote a path
 * as Node printed it on any platform.
 */
export function userFacingUploadMessage(message: string, folder: string): string {
  const variants = [...new Set([folder, folder.replace(/\\/g, '/'), folder.replace(/\//g, '\\')])].sort(
    (a, b) => b.length - a.length,
  );
  let out = message;
  const relative = (rel: string) => `"${rel.replace(/\\/g, '/')}"`;
  for (const f of variants) {
    const escaped = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out
      // Quoted, a path may hold spaces: up to the closing quote.
      .replace(new RegExp(`(["'])${escaped}[\\\\/]([^"']+)\\1`, 'g'), (_, _q: string, rel: string) =>
        relative(rel),
      )
      // Bare: up to what ends a path in a sentence.
      .replace(new RegExp(`${escaped}[\\\\/]([^"'\\s:,;)]+)`, 'g'), (_, rel: string) => relative(rel))
      .replace(new RegExp(`["']?${escaped}["']?(?![\\w.-])`, 'g'), 'the uploaded files');
  }
  return out;
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Relative paths (forward slashes) of every file under `root`, sorted ordinally. Symlinks are not followed. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await fs.promises.readdir(path.join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(childRel);
      else if (e.isFile()) out.push(childRel);
    }
  }
  if (fs.existsSync(root)) await walk('');
  return out.sort(compareOrdinal);
}

export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toNative(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

/** Case-insensitive index of relative paths, because Windows-made folders and manifests disagree on casing. */
export class FileIndex {
  private readonly exact: Set<string>;
  private readonly lower = new Map<string, string>();
  /** [lower-case path, path], sorted by the lower-case path: a folder's files are one contiguous run. */
  private readonly byLower: Array<[string, string]>;

  constructor(readonly root: string, readonly files: string[]) {
    this.exact = new Set(files);
    for (const f of files) if (!this.lower.has(f.toLowerCase())) this.lower.set(f.toLowerCase(), f);
    this.byLower = files.map((f): [string, string] => [f.toLowerCase(), f]).sort((a, b) => compareOrdinal(a[0], b[0]) || compareOrdinal(a[1], b[1]));
  }

  /** The actual relative path for `rel` (exact match first, then ignoring case), or undefined. */
  resolve(rel: string): string | undefined {
    return this.exact.has(rel) ? rel : this.lower.get(rel.toLowerCase());
  }

  /** Every file under the folder `prefix` (ignoring case), sorted ordinally. */
  under(prefix: string): string[] {
    const p = prefix.toLowerCase().replace(/\/?$/, '/');
    let lo = 0;
    let hi = this.byLower.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.byLower[mid][0] < p) lo = mid + 1; else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.byLower.length && this.byLower[i][0].startsWith(p); i++) out.push(this.byLower[i][1]);
    return out.sort(compareOrdinal);
  }
}

let readBuffer = Buffer.alloc(64 * 1024);

/**
 * Reads a UTF-8 text file through one reused buffer (synchronously, so calls cannot interleave). Pack reads
 * thousands of component files; fresh Buffers per file would pile up outside the JS heap until the next GC.
 */
export function readTextFile(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size > readBuffer.length) readBuffer = Buffer.alloc(Math.max(size, readBuffer.length * 2));
    let read = 0;
    while (read < size) {
      const n = fs.readSync(fd, readBuffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return readBuffer.toString('utf8', 0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reading solution zips with yauzl. Every entry name is validated before anything is extracted:
 * no `..`, no absolute paths or drive letters, no symlinks, no duplicates (also case-insensitively,
 * since Windows agents would collide), and sizes within `ZipLimits`. Entry data is streamed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { UserError } from '../core';
import { DEFAULT_ZIP_LIMITS, ZipLimits } from './zip-limits';

export interface ZipEntryInfo {
  /** Normalised name with forward slashes. */
  name: string;
  uncompressedSize: number;
  compressedSize: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Returns why an entry name is unsafe, or undefined when it is fine. */
export function unsafeEntryReason(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (/^[a-zA-Z]:/.test(name)) return 'starts with a drive letter';
  if (name.startsWith('/') || name.startsWith('\\')) return 'is an absolute path';
  if (name.split(/[\\/]/).some((seg) => seg === '..')) return "contains a '..' segment";
  return undefined;
}

function openZipFile(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) reject(new UserError(`Cannot read zip '${file}': ${err?.message ?? 'unknown error'}.`, 'Check that the file is a complete solution zip.'));
      else resolve(zip);
    });
  });
}

function decodeName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer | string;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  return text.replace(/\\/g, '/');
}

export class ZipReader {
  private constructor(
    readonly file: string,
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, yauzl.Entry>,
    readonly entries: ZipEntryInfo[],
  ) {}

  /** Opens and validates a zip; throws UserError naming the offending entry. */
  static async open(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipReader> {
    const zip = await openZipFile(file);
    try {
      const { byName, entries } = await readCentralDirectory(zip, file, limits);
      return new ZipReader(file, zip, byName, entries);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Finds an entry name ignoring case (exports vary: `solution.xml`, `Solution.xml`). */
  findName(name: string): string | undefined {
    if (this.byName.has(name)) return name;
    const lower = name.toLowerCase();
    return this.entries.find((e) => e.name.toLowerCase() === lower)?.name;
  }

  async openStream(name: string): Promise<Readable> {
    const entry = this.byName.get(name);
    if (!entry) throw new UserError(`Zip '${this.file}' has no entry '${name}'.`);
    return new Promise((resolve, reject) => {
      this.zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) reject(new UserError(`Cannot read '${name}' in zip '${this.file}': ${err?.message ?? 'unknown error'}.`));
        else resolve(stream);
      });
    });
  }

  /**
   * Hands an entry's stream to `consume`; a failure while reading it (a damaged or truncated zip) becomes an
   * error naming the zip and the entry.
   */
  async withEntryStream<T>(name: string, consume: (stream: Readable) => Promise<T>): Promise<T> {
    const stream = await this.openStream(name);
    try {
      return await consume(stream);
    } catch (err) {
      stream.destroy();
      if (err instanceof UserError) throw err;
      throw new UserError(`Cannot read '${name}' in zip '${this.file}': ${(err as Error).message}.`, 'The zip is damaged or incomplete: download or export it again.');
    }
  }

  /** Reads a (small) entry fully; use `extractTo` for content files. */
  async readBuffer(name: string): Promise<Buffer> {
    return this.withEntryStream(name, async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  async readText(name: string): Promise<string> {
    return (await this.readBuffer(name)).toString('utf8');
  }

  /** Streams an entry to a file, creating parent folders. */
  async extractTo(name: string, dest: string): Promise<void> {
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await this.withEntryStream(name, (stream) => pipeline(stream, fs.createWriteStream(dest)));
  }

  close(): void {
    this.zip.close();
  }
}

function readCentralDirectory(zip: yauzl.ZipFile, file: string, limits: ZipLimits): Promise<{ byName: Map<string, yauzl.Entry>; entries: ZipEntryInfo[] }> {
  return new Promise((resolve, reject) => {
    const byName = new Map<string, yauzl.Entry>();
    const lowerNames = new Map<string, string>();
    const entries: ZipEntryInfo[] = [];
    let total = 0;
    const fail = (message: string) => reject(new UserError(`Zip '${file}' refused: ${message}`,
      'Solution zips never contain such entries; the file may be corrupt or crafted.'));
    zip.on('error', (err: Error) => reject(new UserError(`Cannot read zip '${file}': ${err.message}.`)));
    zip.on('end', () => resolve({ byName, entries }));
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = decodeName(entry);
      const unsafe = unsafeEntryReason(name);
      if (unsafe) return fail(`entry '${name}' ${unsafe}.`);
      if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) return fail(`entry '${name}' is a symbolic link.`);
      if (name.endsWith('/')) { zip.readEntry(); return; }
      const lower = name.toLowerCase();
      const clash = lowerNames.get(lower);
      if (clash !== undefined) {
        return fail(clash === name ? `entry '${name}' appears twice.` : `entries '${clash}' and '${name}' differ only by case.`);
      }
      if (entries.length >= limits.maxEntries) return fail(`more than ${limits.maxEntries} entries.`);
      if (entry.uncompressedSize > limits.maxEntryBytes) return fail(`entry '${name}' would expand to ${entry.uncompressedSize} bytes (limit ${limits.maxEntryBytes}).`);
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) return fail(`entries would expand to more than ${limits.maxTotalBytes} bytes in total (zip bomb?).`);
      if (entry.uncompressedSize >= limits.ratioCheckMinBytes && entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)) {
        return fail(`entry '${name}' has a compression ratio above ${limits.maxRatio}:1 (zip bomb?).`);
      }
      lowerNames.set(lower, name);
      byName.set(name, entry);
      entries.push({ name, uncompressedSize: entry.uncompressedSize, compressedSize: entry.compressedSize });
      zip.readEntry();
    });
    zip.readEntry();
  });
}

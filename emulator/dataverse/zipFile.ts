/** Reading solution zips that live on disk, one entry at a time (never the whole archive in memory). */
import * as yauzl from 'yauzl';

export interface ZipEntryInfo {
  name: string;
  size: number;
}

export interface OpenedZip {
  entries: ZipEntryInfo[];
  /** Reads one entry fully into memory; only for the small XML/JSON parts, with a size cap. */
  read(name: string, maxBytes?: number): Promise<Buffer | undefined>;
  /** A decompressing stream of one entry (for copying large component files). */
  stream(name: string): Promise<NodeJS.ReadableStream>;
  close(): void;
}

const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export async function openZip(filePath: string): Promise<OpenedZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(filePath, { lazyEntries: true, autoClose: false }, (err, z) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z)));
  });
  const byName = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) byName.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return {
    entries: [...byName.values()].map((e) => ({ name: e.fileName, size: e.uncompressedSize })),
    read: (name, maxBytes = DEFAULT_MAX_ENTRY_BYTES) => {
      const entry = byName.get(name);
      if (!entry) return Promise.resolve(undefined);
      if (entry.uncompressedSize > maxBytes) {
        return Promise.reject(new Error(`zip entry ${name} is ${entry.uncompressedSize} bytes, more than the ${maxBytes} bytes this reader accepts`));
      }
      return new Promise<Buffer>((resolve, reject) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) { reject(err ?? new Error('no stream')); return; }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => resolve(Buffer.concat(chunks)));
          stream.on('error', reject);
        });
      });
    },
    stream: (name) => new Promise((resolve, reject) => {
      const entry = byName.get(name);
      if (!entry) { reject(new Error(`zip entry ${name} not found`)); return; }
      zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err ?? new Error('no stream')) : resolve(stream)));
    }),
    close: () => zip.close(),
  };
}

export function decodeXmlText(buffer: Buffer): string {
  const text = buffer.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

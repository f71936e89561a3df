/** Extracting SARIF files from a checker result zip (protocol.md §9.8), with bounded sizes. */
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { UserError } from '../core';

export interface ResultZipLimits {
  /** Largest result zip downloaded. */
  maxZipBytes: number;
  /** Largest single SARIF file (uncompressed). */
  maxSarifBytes: number;
  /** Most entries read from one zip. */
  maxEntries: number;
}

export const DEFAULT_RESULT_ZIP_LIMITS: ResultZipLimits = {
  maxZipBytes: 256 * 1024 * 1024,
  maxSarifBytes: 256 * 1024 * 1024,
  maxEntries: 10_000,
};

export interface SarifFile {
  /** Entry name inside the zip (forward slashes). */
  name: string;
  content: Buffer;
}

/** Entries ending .sarif or .sarif.json / .json (the file-name pattern is not documented). */
function isSarifName(name: string): boolean {
  return /\.(sarif|json)$/i.test(name);
}

function unsafe(name: string): boolean {
  return name.includes('\0') || /^[a-zA-Z]:/.test(name) || name.startsWith('/') || name.split('/').includes('..');
}

/** Reads every SARIF entry of a result zip held in memory. `label` names the zip in errors. */
export async function extractSarifFiles(zipBytes: Buffer, label: string, limits: ResultZipLimits = DEFAULT_RESULT_ZIP_LIMITS): Promise<SarifFile[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(zipBytes, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true });
  } catch (err) {
    throw new UserError(`The checker result ${label} is not a readable zip: ${(err as Error).message}.`, 'Run the check again; if it repeats, the service returned a damaged file.');
  }
  const files: SarifFile[] = [];
  try {
    let count = 0;
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) break;
      if (++count > limits.maxEntries) throw new UserError(`The checker result ${label} has more than ${limits.maxEntries} entries; refusing to read it.`);
      const name = entry.fileName.replace(/\\/g, '/');
      if (name.endsWith('/') || !isSarifName(name)) continue;
      if (unsafe(name)) throw new UserError(`The checker result ${label} holds an unsafe entry name '${name}'; refusing to read it.`);
      if (entry.uncompressedSize > limits.maxSarifBytes) {
        throw new UserError(`The SARIF file '${name}' in ${label} is ${entry.uncompressedSize} bytes, more than the ${limits.maxSarifBytes} bytes allowed.`);
      }
      files.push({ name, content: await readEntry(zip, entry, limits.maxSarifBytes) });
    }
  } finally {
    zip.close();
  }
  return files;
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => { cleanup(); resolve(entry); };
    const onEnd = (): void => { cleanup(); resolve(undefined); };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number): Promise<Buffer> {
  const stream = await new Promise<Readable>((resolve, reject) => {
    zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s)));
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new UserError(`The SARIF file '${entry.fileName}' is larger than the ${maxBytes} bytes allowed.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

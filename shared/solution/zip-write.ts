/**
 * Deterministic zip writing with yazl: fixed timestamp and mode, DOS timestamps only, fixed compression level,
 * entries in the order given. File sources are streamed. Output goes to a temp name beside the target and is
 * renamed into place only when complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as yazl from 'yazl';

export type ZipSource = { kind: 'buffer'; data: Buffer } | { kind: 'file'; path: string };

export interface ZipWriteEntry {
  name: string;
  source: ZipSource;
}

/** Built from local-time components so the DOS date/time fields are the same whatever the agent's time zone. */
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;
const OPTIONS = { mtime: FIXED_MTIME, mode: FILE_MODE, compress: true, compressionLevel: 6, forceDosTimestamp: true } as const;

const MAX_READ = 64 * 1024;

function readSize(file: string): number {
  try {
    return Math.max(1, Math.min(MAX_READ, fs.statSync(file).size));
  } catch {
    return MAX_READ; // the stream reports the error
  }
}

export async function writeZip(target: string, entries: ZipWriteEntry[]): Promise<void> {
  const dir = path.dirname(target);
  await fs.promises.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.source.kind === 'buffer') zip.addBuffer(entry.source.data, entry.name, OPTIONS);
    else {
      const file = entry.source.path;
      const name = entry.name;
      // Opened only when yazl reaches the entry, so thousands of files never hold thousands of descriptors.
      zip.addReadStreamLazy(name, OPTIONS, (cb) => {
        // A read buffer no larger than the file: fs allocates highWaterMark bytes per read even for a 1 KB file.
        const stream = fs.createReadStream(file, { highWaterMark: readSize(file) });
        stream.on('error', (err) => (zip.outputStream as Readable).destroy(new Error(`Cannot read '${file}' for zip entry '${name}': ${err.message}`)));
        cb(null, stream);
      });
    }
  }
  zip.end();
  try {
    await pipeline(zip.outputStream, fs.createWriteStream(temp));
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

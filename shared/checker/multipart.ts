/** The multipart/form-data body of a checker upload: one part named after the zip (protocol.md §9.5). */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';

export interface MultipartUpload {
  headers: Record<string, string>;
  /** A fresh stream per call, so the transport may retry the upload. */
  body: () => Readable;
}

/** File names go into quoted header parameters: keep printable ASCII without quotes or backslashes. */
export function headerSafeFileName(name: string): string {
  const safe = name.replace(/[^\x20-\x7e]|["\\]/g, '_').trim();
  return safe === '' ? 'solution.zip' : safe;
}

export function multipartFileUpload(filePath: string, fileName: string, size: number): MultipartUpload {
  const name = headerSafeFileName(fileName);
  const boundary = `----dataverse-alm-${randomBytes(12).toString('hex')}`;
  const disposition = `form-data; name="${name}"; filename="${name}"`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/zip\r\n\r\n`, 'latin1');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  return {
    headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      'Content-Length': String(head.length + size + tail.length),
      // The service documents this header on the request itself, not only on the part.
      'Content-Disposition': disposition,
    },
    body: () => Readable.from(parts(head, filePath, tail)),
  };
}

async function* parts(head: Buffer, filePath: string, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of fs.createReadStream(filePath)) yield chunk as Buffer;
  yield tail;
}

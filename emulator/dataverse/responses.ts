/** Writing answers: JSON, OData errors, and JSON bodies whose base64 property is streamed from a file on disk. */
import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendJson, sendODataError } from '../core/contracts';
import { ODataFailure } from './errors';

export { sendJson };

export function sendFailure(res: ServerResponse, failure: ODataFailure): void {
  sendODataError(res, failure.status, failure.code, failure.message, failure.headers);
}

/** 204 No Content with the OData headers. */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, { 'OData-Version': '4.0' });
  res.end();
}

const CHUNK = 3 * 64 * 1024;

/**
 * Answers 200 with `{ ...head, [property]: "<base64 of file>" }`, encoding the file as it is read, so the
 * response costs a chunk of memory whatever the file size.
 */
export async function sendJsonWithBase64File(res: ServerResponse, head: Record<string, unknown>, property: string, filePath: string): Promise<void> {
  const prefix = JSON.stringify(head).slice(0, -1) + `${Object.keys(head).length > 0 ? ',' : ''}${JSON.stringify(property)}:"`;
  const size = (await fs.promises.stat(filePath)).size;
  const length = Buffer.byteLength(prefix) + Math.ceil(size / 3) * 4 + 2;
  res.writeHead(200, {
    'Content-Type': 'application/json; odata.metadata=minimal',
    'OData-Version': '4.0',
    'Content-Length': String(length),
  });
  let carry: Buffer = Buffer.alloc(0);
  const encoder = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const all = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const usable = all.length - (all.length % 3);
      carry = all.subarray(usable);
      done(null, all.subarray(0, usable).toString('base64'));
    },
    flush(done) {
      done(null, `${carry.toString('base64')}"}`);
    },
  });
  res.write(prefix);
  await pipeline(fs.createReadStream(filePath, { highWaterMark: CHUNK }), encoder, res);
}

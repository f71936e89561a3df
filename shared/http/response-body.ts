import type { Readable } from 'node:stream';
import type { ResponseType } from './types';

/** Bound on error bodies kept for messages (an HTML error page must not fill memory). */
export const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** Reads a response stream into memory; with `limit`, stops keeping bytes beyond it (still drains the rest). */
export async function readBody(stream: Readable, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (size < limit) chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

export function decodeBody(raw: Buffer, responseType: Exclude<ResponseType, 'stream'>): unknown {
  if (responseType === 'buffer') return raw;
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (responseType === 'text') return text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

import { Readable } from 'node:stream';
import type { RequestBody } from './types';

export interface PreparedBody {
  data: Buffer | string | Readable | undefined;
  contentType?: string;
}

export function isReadable(value: unknown): value is Readable {
  return value instanceof Readable;
}

/** Turns the request body into what goes on the wire for one attempt (a factory gives a fresh stream each time). */
export function prepareBody(body: RequestBody | undefined): PreparedBody {
  if (body === undefined) return { data: undefined };
  if (typeof body === 'function') return { data: body() };
  if (typeof body === 'string' || Buffer.isBuffer(body) || isReadable(body)) return { data: body };
  if (body instanceof URLSearchParams) {
    return { data: body.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { data: JSON.stringify(body), contentType: 'application/json' };
}

/**
 * The blob storage behind the checker's SAS URLs: uploaded solutions and result zips under
 * `{base}/checker/blob/{container}/{id}/{name}?sv=…&sr=b&sp=r&se=…&sig=…`. A download needs a valid,
 * unexpired `sig` and no Authorization header (a bearer token sent to storage is a credential leak).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../core/context';
import { headerValue, safeDecode } from '../core/http';
import { checkerState } from './state';

export const BLOB_PREFIX = '/checker/blob/';
const SAS_LIFETIME_MS = 24 * 60 * 60 * 1000;

function signature(key: Buffer, blobPath: string, expiry: string): string {
  return createHmac('sha256', key).update(`r\n${expiry}\n/${blobPath}`).digest('base64');
}

/** Stores content and returns its SAS URL. `blobPath` is `container/id/name` (unencoded). */
export function putBlob(rc: RequestContext, blobPath: string, content: Buffer): string {
  const state = checkerState(rc.emulator);
  state.blobs.set(blobPath, content);
  const expiry = new Date(Date.now() + SAS_LIFETIME_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const query = new URLSearchParams({ sv: '2019-02-02', sr: 'b', sp: 'r', se: expiry, sig: signature(state.sasKey, blobPath, expiry) });
  const encodedPath = blobPath.split('/').map(encodeURIComponent).join('/');
  return `${rc.emulator.baseUrl}${BLOB_PREFIX}${encodedPath}?${query.toString()}`;
}

export type BlobLookup = { ok: true; blobPath: string; content: Buffer } | { ok: false; status: number; code: string; message: string };

/** Resolves a SAS URL (as a string, e.g. from an analyze request) to the stored blob, checking its signature. */
export function readBlobUrl(rc: RequestContext, url: string): BlobLookup {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, code: 'InvalidUri', message: `'${url}' is not a URL.` };
  }
  if (parsed.origin !== new URL(rc.emulator.baseUrl).origin || !parsed.pathname.startsWith(BLOB_PREFIX)) {
    return { ok: false, status: 400, code: 'InvalidUri', message: 'The emulated checker can only read blobs it stored itself (SAS URLs returned by /api/upload).' };
  }
  return lookup(rc, parsed.pathname, parsed.searchParams);
}

function lookup(rc: RequestContext, pathname: string, query: URLSearchParams): BlobLookup {
  const state = checkerState(rc.emulator);
  const blobPath = pathname.slice(BLOB_PREFIX.length).split('/').map(safeDecode).join('/');
  const sig = query.get('sig');
  const expiry = query.get('se') ?? '';
  if (!sig) return { ok: false, status: 403, code: 'AuthenticationFailed', message: 'Server failed to authenticate the request: the SAS signature (sig) is missing.' };
  const expected = Buffer.from(signature(state.sasKey, blobPath, expiry));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, status: 403, code: 'AuthenticationFailed', message: 'Server failed to authenticate the request: signature did not match.' };
  }
  if (!(Date.parse(expiry) > Date.now())) {
    return { ok: false, status: 403, code: 'AuthenticationFailed', message: 'Server failed to authenticate the request: signed expiry time has passed.' };
  }
  const content = state.blobs.get(blobPath);
  if (!content) return { ok: false, status: 404, code: 'BlobNotFound', message: 'The specified blob does not exist.' };
  return { ok: true, blobPath, content };
}

/** GET (or HEAD) of a blob URL. */
export function handleBlobRequest(rc: RequestContext): void {
  const { res } = rc;
  if (rc.method !== 'GET' && rc.method !== 'HEAD') return sendStorageError(rc, 405, 'UnsupportedHttpVerb', 'The resource doesn\'t support the specified HTTP verb.');
  if (headerValue(rc.req, 'authorization') !== undefined) {
    return sendStorageError(rc, 403, 'AuthenticationFailed',
      'Server failed to authenticate the request: an Authorization header was sent with a SAS URL. Send no credentials to blob storage.');
  }
  const found = lookup(rc, rc.path, rc.url.searchParams);
  if (!found.ok) return sendStorageError(rc, found.status, found.code, found.message);
  res.writeHead(200, {
    'Content-Type': found.blobPath.endsWith('.zip') ? 'application/x-zip-compressed' : 'application/octet-stream',
    'Content-Length': String(found.content.length),
    'x-ms-blob-type': 'BlockBlob',
  });
  res.end(rc.method === 'HEAD' ? undefined : found.content);
}

function sendStorageError(rc: RequestContext, status: number, code: string, message: string): void {
  const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${rc.requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
  rc.res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(xml)), 'x-ms-error-code': code });
  rc.res.end(xml);
}

/** Downloading a checker result zip from its SAS URL into memory, bounded, with retries for a body cut midway. */
import type { Readable } from 'node:stream';
import { UserError, type Logger } from '../core';
import { HttpError, type HttpClient, type HttpResponse } from '../http';
import { formatBytes } from './format';
import { CheckerError } from './errors';

export interface DownloadOptions {
  /** The URL as it may be logged (SAS signature redacted). */
  label: string;
  maxBytes: number;
  signal?: AbortSignal;
  logger: Logger;
}

const ATTEMPTS = 3;

/** GET without credentials (the SAS signature authorizes it). The transport retries failures before the body. */
export async function downloadResultZip(http: HttpClient, uri: string, options: DownloadOptions): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(http, uri, options);
    } catch (err) {
      if (!(err instanceof BodyCutError)) throw err;
      if (attempt >= ATTEMPTS || options.signal?.aborted) {
        throw new UserError(`The download of the checker result ${options.label} broke off: ${err.message}.`, 'Run the check again.');
      }
      options.logger.debug(`Download of ${options.label} broke off (${err.message}); retrying`);
    }
  }
}

class BodyCutError extends Error {}

async function downloadOnce(http: HttpClient, uri: string, { label, maxBytes, signal }: DownloadOptions): Promise<Buffer> {
  let response: HttpResponse<Readable>;
  try {
    response = await http.request<Readable>({ method: 'GET', url: uri, responseType: 'stream', signal, description: 'checker result download' });
  } catch (err) {
    if (err instanceof HttpError && err.kind !== 'aborted') {
      throw new CheckerError('result download', undefined, err,
        err.status === 403 || err.status === 404 ? 'The result link may have expired; run the check again.' : undefined);
    }
    throw err;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.data) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.data.destroy();
        throw new UserError(`The checker result ${label} is larger than the ${formatBytes(maxBytes)} allowed; not reading it.`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof UserError || signal?.aborted) throw err;
    throw new BodyCutError((err as Error).message);
  }
  return Buffer.concat(chunks);
}

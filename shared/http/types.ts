import type { Readable } from 'node:stream';
import type { Logger } from '../core';
import type { Clock } from './clock';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
export type ResponseType = 'json' | 'text' | 'buffer' | 'stream';

/**
 * Request body. A plain object/array is sent as JSON, URLSearchParams as a form, a Buffer or string as is.
 * A Readable is streamed and can be sent only once (no retry after it started); pass a function returning a
 * fresh Readable to keep streamed uploads retryable.
 */
export type RequestBody =
  | Record<string, unknown>
  | unknown[]
  | URLSearchParams
  | Buffer
  | string
  | Readable
  | (() => Readable);

export interface RetryOptions {
  /** Attempts in total (first try included) for throttling and transient failures. */
  maxAttempts: number;
  /** Stop retrying throttling/transient failures once this much time has passed since the first attempt. */
  maxElapsedMs: number;
  /** Exponential backoff base and cap (full jitter: the wait is random in [0, min(cap, base·2^n)]). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Solution-operation lock: wait grows from min to max, retried until lockDeadlineMs after the first lock. */
  lockMinDelayMs: number;
  lockMaxDelayMs: number;
  lockDeadlineMs: number;
}

export interface ProxySettings {
  /** e.g. http://proxy.corp:8080 */
  url: string;
  username?: string;
  password?: string;
  /** Regular expressions (as the agent's proxy bypass list) tested against the full request URL. */
  bypass?: string[];
}

export interface HttpClientOptions {
  /** Extension version for the User-Agent header. */
  productVersion: string;
  logger?: Logger;
  /** Agent proxy; when absent HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment apply. */
  proxy?: ProxySettings;
  /** Extra trusted CA certificates (PEM), e.g. the agent's certificate configuration. */
  ca?: string | Buffer;
  /** Default per-attempt timeout (ms); 0 disables. Default 100 s. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  clock?: Clock;
  /** Random source in [0, 1) for jitter; injectable for tests. */
  random?: () => number;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Default 'json' (falls back to text when the body is not JSON). */
  responseType?: ResponseType;
  /**
   * Per-attempt timeout (ms); 0 disables. It covers the whole exchange, except for responseType 'stream'
   * where it ends when the response headers arrive (the caller owns the body stream).
   */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whether repeating the request is harmless. Default: true for GET, HEAD, PUT, DELETE, OPTIONS. */
  idempotent?: boolean;
  /** Overrides for this request, or false for a single attempt. */
  retry?: Partial<RetryOptions> | false;
  /** Don't throw on these non-2xx statuses (e.g. 404 for "not found" lookups). */
  acceptStatuses?: number[];
  /** Says in logs what the request is for when the URL alone doesn't (e.g. "token request"). */
  description?: string;
}

export interface HttpResponse<T> {
  status: number;
  headers: Record<string, string>;
  data: T;
  clientRequestId: string;
  /** The server's request/correlation id when it sent one. */
  serverRequestId?: string;
  /** Attempts made (1 when the first one succeeded). */
  attempts: number;
}

export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
}

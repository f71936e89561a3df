import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { silentLogger, type Logger } from '../core';
import { sleep, systemClock, type Clock } from './clock';
import { connectionWatchingTransport } from './connection-watch';
import { HttpError, parseServerError, serverRequestIdOf, type HttpErrorDetails } from './errors';
import { AgentPool, resolveProxy } from './proxy';
import { isReadable, prepareBody } from './request-body';
import { decodeBody, MAX_ERROR_BODY_BYTES, readBody } from './response-body';
import {
  backoffDelay, decideRetry, DEFAULT_RETRY, lockDelay, type AttemptOutcome, type RetryDecision,
} from './retry-policy';
import { redactUrl } from './url-redaction';
import type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse, RetryOptions } from './types';

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const DEFAULT_TIMEOUT_MS = 100_000;

/** Transport with keep-alive connections; `close()` releases them. */
export interface ClosableHttpClient extends HttpClient {
  close(): void;
}

export function createHttpClient(options: HttpClientOptions): ClosableHttpClient {
  return new AxiosHttpClient(options);
}

type AttemptResult<T> =
  | { ok: true; response: HttpResponse<T> }
  | { ok: false; outcome: AttemptOutcome; failure: Omit<HttpErrorDetails, 'attempts' | 'method' | 'url' | 'clientRequestId'> };

/** Thrown out of an attempt when the caller's signal aborted it: never retried. */
class CallerAbort extends Error {}

class AxiosHttpClient implements ClosableHttpClient {
  private readonly axios: AxiosInstance;
  private readonly agents: AgentPool;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly retry: RetryOptions;
  private readonly userAgent: string;

  constructor(private readonly options: HttpClientOptions) {
    this.axios = axios.create();
    this.agents = new AgentPool(options.ca);
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.userAgent =
      `dataverse-alm-azure-pipelines/${options.productVersion} (node ${process.version}; ${process.platform})`;
  }

  close(): void {
    this.agents.destroy();
  }

  async request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
    const retry: RetryOptions = request.retry === false
      ? { ...this.retry, maxAttempts: 1, lockDeadlineMs: 0 }
      : { ...this.retry, ...request.retry };
    const idempotent = request.idempotent ?? IDEMPOTENT_METHODS.has(request.method);
    const clientRequestId = randomUUID();
    const url = redactUrl(request.url);
    const label = `${request.description ? `${request.description} ` : ''}${request.method} ${url}`;
    const budget = new RetryBudget(retry, this.clock.now(), this.random);
    let attempts = 0;

    const fail = (details: Omit<HttpErrorDetails, 'attempts' | 'method' | 'url' | 'clientRequestId'>): HttpError =>
      new HttpError({ ...details, attempts, method: request.method, url, clientRequestId });

    for (;;) {
      attempts++;
      let result: AttemptResult<T>;
      try {
        result = await this.attempt<T>(request, clientRequestId, attempts);
      } catch (err) {
        if (err instanceof CallerAbort) throw fail({ kind: 'aborted', description: request.description });
        throw err;
      }
      if (result.ok) return result.response;

      const now = this.clock.now();
      const decision = decideRetry(result.outcome, idempotent, now);
      const failure = {
        ...result.failure,
        outcomeUnknown: !idempotent && result.failure.kind !== 'status' && !result.failure.notSent,
      };
      if (!decision) throw fail(failure);
      // A stream body was consumed by the attempt: it cannot be sent again.
      const wait = isReadable(request.body) ? undefined : budget.nextWait(decision, now);
      if (wait === undefined) {
        this.logger.debug(`HTTP ${label}: ${decision.reason}; not retrying (retry limits reached or body not repeatable)`);
        throw fail(failure);
      }
      this.logger.debug(`HTTP ${label}: ${decision.reason} on attempt ${attempts}; waiting ${wait} ms before retrying`);
      try {
        await sleep(this.clock, wait, request.signal);
      } catch {
        throw fail({ kind: 'aborted', description: request.description });
      }
    }
  }

  private async attempt<T>(request: HttpRequest, clientRequestId: string, attempt: number): Promise<AttemptResult<T>> {
    if (request.signal?.aborted) throw new CallerAbort();
    const responseType = request.responseType ?? 'json';
    const body = prepareBody(request.body);
    const headers: Record<string, string> = {
      'User-Agent': this.userAgent,
      'x-ms-client-request-id': clientRequestId,
      ...(body.contentType ? { 'Content-Type': body.contentType } : {}),
      ...request.headers,
    };
    const proxy = resolveProxy(request.url, this.options.proxy);
    const { httpAgent, httpsAgent } = this.agents.agentsFor(request.url, proxy);
    const { transport, watch: connection } = connectionWatchingTransport();

    const controller = new AbortController();
    const timedOut = Symbol('timeout');
    const onCallerAbort = (): void => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = timeoutMs > 0 ? this.clock.setTimeout(() => controller.abort(timedOut), timeoutMs) : undefined;
    let callerOwnsStream = false;
    const cleanup = (): void => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    };
    const interrupted = (): AttemptResult<T> => {
      if (controller.signal.reason !== timedOut) throw new CallerAbort();
      const notSent = !connection.established;
      return {
        ok: false,
        outcome: notSent ? { phase: 'connect', networkCode: 'ETIMEDOUT' } : { phase: 'timeout' },
        failure: { kind: 'timeout', notSent, description: request.description },
      };
    };

    const started = this.clock.now();
    const label = `${request.description ? `${request.description} ` : ''}${request.method} ${redactUrl(request.url)}`;
    try {
      let response: AxiosResponse<Readable>;
      try {
        response = await this.axios.request<Readable>({
          url: request.url,
          method: request.method,
          headers,
          data: body.data,
          responseType: 'stream',
          validateStatus: () => true,
          signal: controller.signal,
          proxy: false,
          httpAgent,
          httpsAgent,
          transport,
          maxRedirects: 0,
          maxBodyLength: Infinity,
          maxContentLength: Infinity,
          transformRequest: [(data: unknown) => data],
        });
      } catch (err) {
        if (controller.signal.aborted) return interrupted();
        const networkCode = networkCodeOf(err);
        const notSent = !connection.established;
        this.logger.debug(`HTTP ${label} → ${networkCode} ${notSent ? 'while connecting' : 'before any response byte'} ` +
          `(attempt ${attempt}${proxy ? `, via proxy ${proxy.display}` : ''})`);
        return {
          ok: false,
          outcome: { phase: notSent ? 'connect' : 'before-response', networkCode },
          failure: { kind: 'network', networkCode, notSent, description: request.description, cause: sanitizedCause(err) },
        };
      }

      const status = response.status;
      const responseHeaders = flattenHeaders(response.headers as Record<string, unknown>);
      const accepted = (status >= 200 && status < 300) || (request.acceptStatuses ?? []).includes(status);
      const elapsed = this.clock.now() - started;
      this.logger.debug(
        `HTTP ${label} → ${status} (attempt ${attempt}, ${elapsed} ms${proxy ? `, via proxy ${proxy.display}` : ''})`,
      );

      if (accepted && responseType === 'stream') {
        // The caller reads the body: the timeout ended with the headers, cancellation still applies.
        if (timer !== undefined) this.clock.clearTimeout(timer);
        callerOwnsStream = true;
        response.data.once('close', () => request.signal?.removeEventListener('abort', onCallerAbort));
        return {
          ok: true,
          response: {
            status,
            headers: responseHeaders,
            data: response.data as T,
            clientRequestId,
            serverRequestId: serverRequestIdOf(responseHeaders),
            attempts: attempt,
          },
        };
      }

      let raw: Buffer;
      try {
        raw = await readBody(response.data, accepted ? Infinity : MAX_ERROR_BODY_BYTES);
      } catch (err) {
        if (controller.signal.aborted) return interrupted();
        const networkCode = networkCodeOf(err, 'ECONNRESET');
        this.logger.debug(`HTTP ${label}: connection lost while reading the response (${networkCode})`);
        return {
          ok: false,
          outcome: { phase: 'mid-response', networkCode },
          failure: { kind: 'network', networkCode, status, description: request.description, cause: sanitizedCause(err) },
        };
      }

      if (accepted) {
        const data = decodeBody(raw, responseType === 'stream' ? 'buffer' : responseType);
        return {
          ok: true,
          response: {
            status,
            headers: responseHeaders,
            data: data as T,
            clientRequestId,
            serverRequestId: serverRequestIdOf(responseHeaders, data),
            attempts: attempt,
          },
        };
      }

      const errorBody = decodeBody(raw, 'json');
      const serverError = parseServerError(errorBody);
      return {
        ok: false,
        outcome: { phase: 'response', status, headers: responseHeaders, serverError },
        failure: {
          kind: 'status',
          status,
          statusText: response.statusText || undefined,
          serverCode: serverError.code,
          serverMessage: serverError.message,
          serverRequestId: serverRequestIdOf(responseHeaders, errorBody),
          body: errorBody,
          headers: responseHeaders,
          description: request.description,
        },
      };
    } finally {
      if (!callerOwnsStream) cleanup();
    }
  }
}

/**
 * Retry limits of one logical request: throttling and transient failures share maxAttempts and maxElapsedMs;
 * the solution-operation lock has its own growing waits and deadline.
 */
class RetryBudget {
  private retries = 0;
  private lockRetries = 0;
  private firstLockAt: number | undefined;

  constructor(private readonly options: RetryOptions, private readonly started: number, private readonly random: () => number) {}

  /** The wait before the next attempt, or undefined when the limits say stop. */
  nextWait(decision: RetryDecision, now: number): number | undefined {
    if (decision.retryClass === 'lock') {
      this.firstLockAt ??= now;
      const delay = lockDelay(this.lockRetries, this.options, decision.retryAfterMs);
      if (now + delay - this.firstLockAt > this.options.lockDeadlineMs) return undefined;
      this.lockRetries++;
      return delay;
    }
    if (this.retries + 1 >= this.options.maxAttempts) return undefined;
    const delay = decision.retryAfterMs ?? backoffDelay(this.retries, this.options, this.random);
    if (now + delay - this.started > this.options.maxElapsedMs) return undefined;
    this.retries++;
    return delay;
  }
}

function flattenHeaders(headers: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

/**
 * The failure without axios' request config, which holds the Authorization header and form bodies with client
 * secrets: an inspected or serialized error must not carry them.
 */
function sanitizedCause(err: unknown): Error {
  const inner = (err as { cause?: unknown } | undefined)?.cause;
  const source = inner instanceof Error ? inner : err instanceof Error ? err : new Error(String(err));
  const clean = new Error(source.message);
  const code = (source as { code?: unknown }).code ?? (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') Object.assign(clean, { code });
  return clean;
}

function networkCodeOf(err: unknown, fallback = 'ENETWORK'): string {
  // The underlying Node error (cause) carries the socket/TLS code; axios' own codes (ERR_…) say less.
  const candidates = [(err as { cause?: unknown } | undefined)?.cause, err];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('ERR_')) return code;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/socket hang up|aborted/i.test(message)) return 'ECONNRESET';
  return fallback;
}

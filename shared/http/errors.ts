/** Why a request failed for good. */
export type HttpFailureKind = 'status' | 'network' | 'timeout' | 'aborted';

export interface HttpErrorDetails {
  kind: HttpFailureKind;
  method: string;
  /** Redacted (no credentials in user info or query). */
  url: string;
  status?: number;
  statusText?: string;
  /** Node/axios error code for network failures (ECONNRESET, ECONNREFUSED, ETIMEDOUT…). */
  networkCode?: string;
  /** Error code and message from the server's body (OData `error.code`, Entra `error`/AADSTS text). */
  serverCode?: string;
  serverMessage?: string;
  serverRequestId?: string;
  clientRequestId: string;
  attempts: number;
  /** Parsed JSON (or text) body of an error response, kept for callers that interpret it. */
  body?: unknown;
  headers?: Record<string, string>;
  /** What the request was for, e.g. "token request". */
  description?: string;
  /** The connection was never established (network failure or timeout while connecting): nothing was sent. */
  notSent?: boolean;
  /**
   * A request that is not safe to repeat failed after it may have reached the server (connection lost or
   * timed out after connecting, or the response was cut off): it was not sent again, and whether the server
   * acted on it is unknown. Check the state on the server before repeating it.
   */
  outcomeUnknown?: boolean;
  cause?: unknown;
}

export class HttpError extends Error {
  readonly kind: HttpFailureKind;
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly statusText?: string;
  readonly networkCode?: string;
  readonly serverCode?: string;
  readonly serverMessage?: string;
  readonly serverRequestId?: string;
  readonly clientRequestId: string;
  readonly attempts: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly notSent: boolean;
  readonly outcomeUnknown: boolean;

  constructor(details: HttpErrorDetails) {
    super(describeFailure(details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HttpError';
    this.kind = details.kind;
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.statusText = details.statusText;
    this.networkCode = details.networkCode;
    this.serverCode = details.serverCode;
    this.serverMessage = details.serverMessage;
    this.serverRequestId = details.serverRequestId;
    this.clientRequestId = details.clientRequestId;
    this.attempts = details.attempts;
    this.body = details.body;
    this.headers = details.headers;
    this.notSent = details.notSent ?? false;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }
}

function describeFailure(d: HttpErrorDetails): string {
  const what = `${d.description ? `${d.description} ` : ''}${d.method} ${d.url}`;
  let why: string;
  switch (d.kind) {
    case 'status': {
      const server = [d.serverCode, d.serverMessage].filter(Boolean).join(': ');
      why = `HTTP ${d.status}${d.statusText ? ` ${d.statusText}` : ''}${server ? ` — ${server}` : ''}`;
      break;
    }
    case 'timeout':
      why = d.notSent ? 'timed out connecting to the server' : 'timed out waiting for the server';
      break;
    case 'aborted':
      why = 'cancelled';
      break;
    default: {
      const detail = d.cause instanceof Error ? d.cause.message : undefined;
      why = `${d.notSent ? 'could not connect: ' : ''}network error ${d.networkCode ?? ''}`.trim() +
        (detail && detail !== d.networkCode ? ` (${detail})` : '');
    }
  }
  const ids = [
    d.serverRequestId ? `request id ${d.serverRequestId}` : undefined,
    `client request id ${d.clientRequestId}`,
    d.attempts > 1 ? `after ${d.attempts} attempts` : undefined,
  ].filter(Boolean);
  const unknown = d.outcomeUnknown
    ? '. Outcome unknown: the request may have reached the server and been acted on, so it was not sent again; ' +
      'check the current state on the server before repeating it'
    : '';
  return `${what} failed: ${why} (${ids.join('; ')})${unknown}`;
}

export interface ServerErrorInfo {
  code?: string;
  message?: string;
  correlationId?: string;
}

/** Reads the error code/message from OData (`{ error: { code, message } }`) or Entra/IMDS (`{ error, error_description }`) bodies. */
export function parseServerError(body: unknown): ServerErrorInfo {
  if (!isRecord(body)) return {};
  const error = body.error;
  if (isRecord(error)) {
    return { code: nonEmpty(error.code), message: nonEmpty(error.message) };
  }
  if (typeof error === 'string') {
    return {
      code: error,
      message: nonEmpty(body.error_description),
      correlationId: nonEmpty(body.correlation_id),
    };
  }
  return { code: nonEmpty(body.code), message: nonEmpty(body.message) ?? nonEmpty(body.Message) };
}

const SERVER_ID_HEADERS = ['x-ms-service-request-id', 'x-ms-request-id', 'request-id'];

export function serverRequestIdOf(headers: Record<string, string>, body?: unknown): string | undefined {
  for (const name of SERVER_ID_HEADERS) {
    const value = headers[name];
    if (value) return value.split(',')[0].trim();
  }
  return parseServerError(body).correlationId;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

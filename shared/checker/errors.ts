import { UserError } from '../core';
import type { HttpError } from '../http';

/** A checker call that failed: names the operation, the HTTP outcome and the run's correlation id. */
export class CheckerError extends UserError {
  readonly status?: number;

  constructor(operation: string, correlationId: string | undefined, cause: HttpError, hint?: string) {
    const server = cause.serverMessage ?? cause.serverCode;
    const outcome = cause.kind === 'status' ? `HTTP ${cause.status}${server ? ` — ${server}` : ''}` : cause.message;
    super(
      `Power Apps checker ${operation} failed: ${outcome}${correlationId ? ` (correlation id ${correlationId})` : ''}.`,
      hint ?? defaultHint(cause),
    );
    this.name = 'CheckerError';
    this.status = cause.status;
  }
}

/** The analysis did not finish within the allowed wait, or the wait was cancelled; the service may still be working. */
export class CheckerWaitError extends UserError {
  constructor(message: string, hint: string, readonly cancelled: boolean) {
    super(message, hint);
    this.name = 'CheckerWaitError';
  }
}

function defaultHint(cause: HttpError): string | undefined {
  switch (cause.status) {
    case 401:
      return 'Check that the app registration may call the Power Apps checker (token for https://api.advisor.powerapps.com) and that the tenant id is right.';
    case 403:
      return 'The checker refused this application: status must be read by the same application that started the analysis, and the app needs the checker permission.';
    case 413:
      return 'The solution is larger than the checker accepts for upload (30 MB).';
    case 429:
      return 'The checker is throttling requests; run the check again later.';
    default:
      return undefined;
  }
}

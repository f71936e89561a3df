import { UserError } from '../core';
import type { HttpError } from '../http';

/** A Dataverse Web API call failed: refused with an OData error, or not answered. */
export class DataverseError extends UserError {
  readonly operation: string;
  readonly status?: number;
  /** OData error code, e.g. 0x80071151. */
  readonly code?: string;
  readonly serverMessage?: string;
  readonly correlationId?: string;
  readonly clientRequestId: string;
  /** The parsed error body, for callers that read the annotations. */
  readonly body?: unknown;

  constructor(operation: string, environmentUrl: string, cause: HttpError) {
    super(describe(operation, environmentUrl, cause), hintFor(cause));
    this.name = 'DataverseError';
    this.operation = operation;
    this.status = cause.status;
    this.code = cause.serverCode;
    this.serverMessage = cause.serverMessage;
    this.correlationId = cause.serverRequestId;
    this.clientRequestId = cause.clientRequestId;
    this.body = cause.body;
    this.cause = cause;
  }
}

function describe(operation: string, environmentUrl: string, cause: HttpError): string {
  const host = new URL(environmentUrl).host;
  const ids = cause.serverRequestId ? ` (correlation id ${cause.serverRequestId})` : ` (client request id ${cause.clientRequestId})`;
  const attempts = cause.attempts > 1 ? ` after ${cause.attempts} attempts` : '';
  switch (cause.kind) {
    case 'status': {
      const head = [`HTTP ${cause.status}`, cause.serverCode].filter(Boolean).join(', ');
      const message = cause.serverMessage ?? cause.statusText ?? 'no error message';
      return `Dataverse refused ${operation} (${head}): ${message}${ids}${attempts}.`;
    }
    case 'timeout':
      return `Dataverse at ${host} did not answer ${operation} in time${ids}${attempts}.`;
    default:
      return cause.outcomeUnknown
        ? `The connection to Dataverse at ${host} was lost during ${operation} (${cause.networkCode ?? cause.kind})${ids}${attempts}.`
        : `Could not reach Dataverse at ${host} for ${operation}: ${cause.networkCode ?? cause.kind}${ids}${attempts}.`;
  }
}

function hintFor(cause: HttpError): string | undefined {
  if (cause.outcomeUnknown) {
    return 'The request may have been carried out, so it was not sent again: check the environment (for example Solution History) before repeating it.';
  }
  switch (cause.status) {
    case 401:
      return 'Check the environment URL, and that the application has an application user in this environment.';
    case 403:
      return 'The application user lacks privileges: give it a security role that allows this (e.g. System Customizer).';
    case 429:
      return 'Dataverse service protection limits were hit repeatedly: try again later or run fewer jobs at once.';
    case undefined:
      return 'Check the environment URL and the agent\'s network and proxy settings.';
    default:
      return undefined;
  }
}

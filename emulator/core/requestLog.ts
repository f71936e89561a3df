/** Request log (control API `GET /_emulator/requests`): what each call looked like and how it was answered. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from './contracts';

export interface LoggedRequest {
  requestId: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** 0 while unanswered or when the connection was reset instead. */
  status: number;
  identity: Identity | null;
  /** Id of the injected fault that hit this request, if any. */
  fault?: string;
  time: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    return entry;
  }

  list(pathPrefix?: string): LoggedRequest[] {
    return this.entries.filter((e) => pathPrefix === undefined || e.path.startsWith(pathPrefix));
  }

  clear(): void {
    this.entries = [];
  }
}

/** Headers as sent, with credentials replaced so the log can be printed. */
export function redactHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers };
  if (typeof copy.authorization === 'string') {
    const scheme = copy.authorization.split(' ')[0];
    copy.authorization = `${scheme} [redacted]`;
  }
  return copy;
}

/**
 * An in-process stand-in for DataverseClient (get/request/apiBase) that answers from a script, for tests of
 * the polling logic under fake timers (no sockets, so fake time never races real I/O).
 */
import type { DataverseClient, DataverseRequestOptions } from '../../../../shared/dataverse';

export interface FakeCall {
  method: string;
  path: string;
  query?: DataverseRequestOptions['query'];
  at: number;
}

export type FakeAnswer = { status: number; data?: unknown } | Error;

export class FakeDataverse {
  readonly apiBase = 'https://contoso.crm.dynamics.com/api/data/v9.2';
  readonly environmentUrl = 'https://contoso.crm.dynamics.com';
  readonly calls: FakeCall[] = [];

  constructor(private readonly answer: (method: string, path: string) => FakeAnswer) {}

  asClient(): DataverseClient {
    return this as unknown as DataverseClient;
  }

  async request<T>(method: string, path: string, options: DataverseRequestOptions = {}): Promise<{ status: number; data: T }> {
    this.calls.push({ method, path, query: options.query, at: Date.now() });
    const answer = this.answer(method, path);
    if (answer instanceof Error) throw answer;
    if (answer.status >= 300 && !(options.acceptStatuses ?? []).includes(answer.status)) throw new Error(`unexpected status ${answer.status}`);
    return { status: answer.status, data: answer.data as T };
  }

  async get<T>(path: string, options: DataverseRequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, options)).data;
  }

  async post<T>(path: string, body?: unknown, options: DataverseRequestOptions = {}): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, body: body as DataverseRequestOptions['body'] })).data;
  }
}

import { Readable } from 'node:stream';
import { silentLogger, type Logger } from '../core';
import { assertSecureUrl, normalizeResource, type TokenProvider } from '../auth';
import {
  HttpError, redactUrl, type HttpClient, type HttpMethod, type HttpRequest, type HttpResponse, type RequestBody,
} from '../http';
import { DataverseError } from './errors';
import type { SolutionRecord, WhoAmIResponse } from './types';

export interface DataverseClientOptions {
  /** e.g. https://contoso.crm.dynamics.com (http:// only for loopback). */
  environmentUrl: string;
  tokenProvider: TokenProvider;
  http: HttpClient;
  logger?: Logger;
}

/** The transport's per-request options, plus the operation name for errors and OData query options. */
export interface DataverseRequestOptions
  extends Pick<HttpRequest, 'headers' | 'body' | 'responseType' | 'timeoutMs' | 'signal' | 'idempotent' | 'retry' | 'acceptStatuses'> {
  /** Names the call in errors ("ImportSolutionAsync"); default: the first segment of the path. */
  operation?: string;
  /** Query options; values are URL-encoded, names kept as given ($select, $filter, @p1…). */
  query?: Record<string, string | number | boolean | undefined>;
}

const API_PATH = '/api/data/v9.2';
const ODATA_HEADERS = { Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' };
const SOLUTION_COLUMNS = 'solutionid,uniquename,friendlyname,version,ismanaged,installedon,modifiedon';

/**
 * Dataverse Web API client for one environment: bearer token per request, OData headers, JSON helpers,
 * OData errors as DataverseError. A 401 (the token may have expired early) gets one forced token refresh
 * and one retry. Operations (export, import…) build on request/get/post.
 */
export class DataverseClient {
  /** Environment URL without trailing slash; also the token resource. */
  readonly environmentUrl: string;
  /** `{environmentUrl}/api/data/v9.2` */
  readonly apiBase: string;
  private readonly tokenProvider: TokenProvider;
  private readonly http: HttpClient;
  private readonly logger: Logger;

  constructor(options: DataverseClientOptions) {
    assertSecureUrl(options.environmentUrl, 'environment URL');
    this.environmentUrl = normalizeResource(options.environmentUrl);
    this.apiBase = `${this.environmentUrl}${API_PATH}`;
    this.tokenProvider = options.tokenProvider;
    this.http = options.http;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Full URL for a path below the API base, or an absolute URL of this environment (such as @odata.nextLink):
   * the bearer token is never sent to another host.
   */
  url(path: string, query?: DataverseRequestOptions['query']): string {
    const absolute = /^https?:\/\//i.test(path);
    if (absolute && !path.toLowerCase().startsWith(`${this.environmentUrl.toLowerCase()}/`)) {
      throw new Error(`Refusing to send the Dataverse token to ${redactUrl(path)}: it is not under ${this.environmentUrl}.`);
    }
    const base = absolute ? path : `${this.apiBase}/${path.replace(/^\/+/, '')}`;
    const params = Object.entries(query ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
    if (params.length === 0) return base;
    return `${base}${base.includes('?') ? '&' : '?'}${params.join('&')}`;
  }

  async request<T = unknown>(method: HttpMethod, path: string, options: DataverseRequestOptions = {}): Promise<HttpResponse<T>> {
    const operation = options.operation ?? operationName(path);
    const send = async (forceRefresh: boolean): Promise<HttpResponse<T>> => {
      const token = await this.tokenProvider.getToken(this.environmentUrl, { forceRefresh, signal: options.signal });
      return this.http.request<T>({
        method,
        url: this.url(path, options.query),
        headers: { ...ODATA_HEADERS, ...options.headers, Authorization: `Bearer ${token}` },
        body: options.body,
        responseType: options.responseType,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        idempotent: options.idempotent,
        retry: options.retry,
        acceptStatuses: options.acceptStatuses,
        description: `Dataverse ${operation}`,
      });
    };
    try {
      try {
        return await send(false);
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 401) || options.body instanceof Readable) throw err;
        this.logger.debug(`Dataverse answered 401 to ${operation}: refreshing the token and trying once more`);
        return await send(true);
      }
    } catch (err) {
      if (err instanceof HttpError && err.kind !== 'aborted') throw new DataverseError(operation, this.environmentUrl, err);
      throw err;
    }
  }

  async get<T = unknown>(path: string, options: DataverseRequestOptions = {}): Promise<T> {
    return (await this.request<T>('GET', path, options)).data;
  }

  async post<T = unknown>(path: string, body?: RequestBody, options: DataverseRequestOptions = {}): Promise<T> {
    return (await this.request<T>('POST', path, { ...options, body })).data;
  }

  async delete(path: string, options: DataverseRequestOptions = {}): Promise<void> {
    await this.request('DELETE', path, options);
  }

  /** Connectivity check: who the token belongs to in this environment. */
  whoAmI(options: { signal?: AbortSignal } = {}): Promise<WhoAmIResponse> {
    return this.get<WhoAmIResponse>('WhoAmI', { signal: options.signal });
  }

  /** The solution with this unique name, or undefined when the environment has none. */
  async findSolution(uniqueName: string, options: { signal?: AbortSignal } = {}): Promise<SolutionRecord | undefined> {
    const result = await this.get<{ value?: SolutionRecord[] }>('solutions', {
      operation: `find solution '${uniqueName}'`,
      query: { $select: SOLUTION_COLUMNS, $filter: `uniquename eq '${uniqueName.replace(/'/g, "''")}'` },
      signal: options.signal,
    });
    return result?.value?.[0];
  }
}

/** `ImportSolutionAsync` from `ImportSolutionAsync`, `solutions` from `solutions(…)?$select…`. */
function operationName(path: string): string {
  const relative = path.startsWith('http') ? new URL(path).pathname.replace(/^.*\/api\/data\/v[\d.]+\//, '') : path;
  return relative.replace(/^\/+/, '').split(/[(?/]/)[0] || path;
}

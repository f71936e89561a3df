/**
 * Power Apps checker web API client (protocol.md §9): rulesets and rules, upload, analyze, status polling and
 * result download. Every call goes through shared/http with a bearer token for the checker resource.
 * `run()` is the whole flow with one correlation id per run (§9.9).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { silentLogger, UserError, type Logger } from '../core';
import { assertSecureUrl, CHECKER_RESOURCE, isLoopbackHost, type TokenProvider } from '../auth';
import { HttpError, redactUrl, sleep, systemClock, type Clock, type HttpClient, type HttpMethod, type HttpResponse, type RequestBody } from '../http';
import { downloadResultZip } from './download';
import { formatBytes, formatDuration } from './format';
import { CheckerError, CheckerWaitError } from './errors';
import { multipartFileUpload } from './multipart';
import { DEFAULT_RESULT_ZIP_LIMITS, extractSarifFiles, type ResultZipLimits, type SarifFile } from './result-zip';
import { resolveRuleset, type Ruleset } from './rulesets';

/** Largest file the upload API accepts (§9.5). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;
const ANALYSIS_API_VERSION = '1.0';
const LOOKUP_API_VERSION = '2.0';

export interface CheckerClientOptions {
  /** Base URL without `/api` (see resolveCheckerEndpoint), e.g. https://europe.api.advisor.powerapps.com */
  checkerUrl: string;
  /** Tenant of the app registration (x-ms-tenant-id). */
  tenantId: string;
  tokenProvider: TokenProvider;
  http: HttpClient;
  logger?: Logger;
  clock?: Clock;
  /** Token resource; default https://api.advisor.powerapps.com (sovereign-cloud resources are unverified). */
  resource?: string;
  /** Correlation id source (tests); default random UUIDs. */
  newCorrelationId?: () => string;
  /** Per-attempt timeout of an upload (up to 30 MB from a slow agent); default 10 min, 0 = the transport's setting. */
  uploadTimeoutMs?: number;
}

export interface CheckerRule {
  code: string;
  summary?: string;
  description?: string;
  guidanceUrl?: string;
  include?: boolean;
  [key: string]: unknown;
}

export interface IssueSummary {
  criticalIssueCount: number;
  highIssueCount: number;
  mediumIssueCount: number;
  lowIssueCount: number;
  informationalIssueCount: number;
}

/** The status API body (§9.7). */
export interface AnalysisStatus {
  status: string;
  progress?: number;
  runCorrelationId?: string;
  resultFileUris?: string[];
  issueSummary?: IssueSummary;
  privacyPolicy?: string;
  error?: unknown;
}

export interface AnalyzeRequest {
  sasUriList: string[];
  ruleSets?: { id: string }[];
  ruleCodes?: { code: string }[];
  fileExclusions?: string[];
}

export interface PollProgress {
  status: string;
  /** 0–100 as the service reports it (0 when it does not). */
  progress: number;
  polls: number;
  elapsedMs: number;
}

export interface WaitOptions {
  /** Give up after this long (the analysis keeps running on the service). Default 60 min. */
  maxWaitMs?: number;
  /** First wait before a status check; it grows ×1.5 per check up to maxPollIntervalMs. Default 15 s. */
  pollIntervalMs?: number;
  /** Default 60 s. */
  maxPollIntervalMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PollProgress) => void;
}

export interface RunOptions extends WaitOptions {
  /** Solution zips to analyze (each ≤ 30 MB). */
  files: string[];
  /** Ruleset GUID or name; default Solution Checker. Ignored when ruleCodes is given. */
  ruleset?: string;
  ruleCodes?: string[];
  /** Wildcard patterns of files to leave out, e.g. `*jquery*`. */
  fileExclusions?: string[];
  limits?: Partial<ResultZipLimits>;
}

export interface ResultFile {
  /** The result zip URL with its SAS signature redacted (safe to log). */
  uri: string;
  sarifFiles: SarifFile[];
}

export interface AnalysisRun {
  correlationId: string;
  ruleset?: Ruleset;
  /** Terminal status: Finished, FinishedWithErrors or Failed (or another value the service sent). */
  status: string;
  /** Why the analysis failed or was incomplete, when the service said. */
  error?: string;
  issueSummary?: IssueSummary;
  results: ResultFile[];
  /** The status URL (safe to log), to look the run up later. */
  statusUrl: string;
}

/** The correlation id was used before (409); `run()` starts over once with a new one. */
class CorrelationIdConflict extends Error {}

export class CheckerClient {
  readonly checkerUrl: string;
  private readonly tenantId: string;
  private readonly tokenProvider: TokenProvider;
  private readonly http: HttpClient;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly resource: string;
  private readonly newCorrelationId: () => string;
  private readonly uploadTimeoutMs: number | undefined;

  constructor(options: CheckerClientOptions) {
    const parsed = assertSecureUrl(options.checkerUrl, 'checker URL');
    this.checkerUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    if (!options.tenantId?.trim()) throw new UserError('The Power Apps checker needs the tenant id of the app registration.', 'Fill in the tenant id of the service connection.');
    this.tenantId = options.tenantId.trim();
    this.tokenProvider = options.tokenProvider;
    this.http = options.http;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.resource = options.resource ?? CHECKER_RESOURCE;
    this.newCorrelationId = options.newCorrelationId ?? randomUUID;
    this.uploadTimeoutMs = options.uploadTimeoutMs === 0 ? undefined : options.uploadTimeoutMs ?? 600_000;
  }

  async listRulesets(signal?: AbortSignal): Promise<Ruleset[]> {
    const response = await this.call<unknown>('ruleset listing', 'GET', this.api('ruleset', LOOKUP_API_VERSION), { signal, acceptStatuses: [204] });
    return Array.isArray(response.data)
      ? response.data.filter((r): r is Ruleset => typeof r?.id === 'string' && typeof r?.name === 'string')
      : [];
  }

  resolveRuleset(idOrName: string, signal?: AbortSignal): Promise<Ruleset> {
    return resolveRuleset(idOrName, () => this.listRulesets(signal));
  }

  /** Rules of one or more rulesets (ids or names, as the API accepts them). */
  async listRules(rulesets: string[], options: { includeMessageFormats?: boolean; signal?: AbortSignal } = {}): Promise<CheckerRule[]> {
    const query = `ruleset=${encodeURIComponent(rulesets.join(','))}${options.includeMessageFormats ? '&includeMessageFormats=true' : ''}`;
    const response = await this.call<unknown>('rule listing', 'GET', `${this.api('rule', LOOKUP_API_VERSION)}&${query}`, { signal: options.signal, acceptStatuses: [204] });
    return Array.isArray(response.data) ? response.data.filter((r): r is CheckerRule => typeof r?.code === 'string') : [];
  }

  /** Uploads one solution zip; returns the SAS URI(s) the service stored it under. */
  async upload(file: string, correlationId: string, signal?: AbortSignal): Promise<string[]> {
    const size = uploadSize(file);
    const name = path.basename(file);
    const multipart = multipartFileUpload(file, name, size);
    this.logger.debug(`Uploading ${name} (${formatBytes(size)}) to the checker at ${this.checkerUrl}`);
    const response = await this.call<unknown>(`upload of ${name}`, 'POST', this.api('upload', ANALYSIS_API_VERSION), {
      correlationId,
      signal,
      headers: multipart.headers,
      body: multipart.body,
      // Repeating an upload only stores another copy, so transient failures may be retried.
      idempotent: true,
      timeoutMs: this.uploadTimeoutMs,
    });
    const uris = Array.isArray(response.data) ? response.data.filter((u): u is string => typeof u === 'string') : [];
    if (uris.length === 0) {
      throw new UserError(`The checker accepted the upload of ${name} but returned no file URL (correlation id ${correlationId}).`, 'Run the check again.');
    }
    return uris;
  }

  /** Starts the analysis; returns the status URL (the Location header, treated as opaque). */
  async analyze(request: AnalyzeRequest, correlationId: string, signal?: AbortSignal): Promise<string> {
    const body: Record<string, unknown> = { sasUriList: request.sasUriList };
    if (request.ruleCodes?.length) body.ruleCodes = request.ruleCodes;
    else if (request.ruleSets?.length) body.ruleSets = request.ruleSets;
    if (request.fileExclusions?.length) body.fileExclusions = request.fileExclusions;
    let response: HttpResponse<unknown>;
    try {
      response = await this.call<unknown>('analysis request', 'POST', this.api('analyze', ANALYSIS_API_VERSION), {
        correlationId,
        signal,
        body,
        headers: { Accept: 'application/json, application/x-ms-sarif-v2' },
        rethrow409: true,
      });
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) throw new CorrelationIdConflict();
      throw err;
    }
    const location = response.headers.location;
    return location ? this.statusUrlFrom(location) : `${this.checkerUrl}/api/status/${correlationId}?api-version=${ANALYSIS_API_VERSION}`;
  }

  /** One status check: `done` once the service answers 200. */
  async getStatus(statusUrl: string, correlationId: string, signal?: AbortSignal): Promise<{ done: boolean; body: AnalysisStatus }> {
    const response = await this.call<unknown>('status check', 'GET', statusUrl, { correlationId, signal });
    const body = isRecord(response.data) ? (response.data as unknown as AnalysisStatus) : { status: '' };
    const status = typeof body.status === 'string' ? body.status : '';
    // 200 means done (§9.7) even if a body without `status` came with it; 202 always means still running.
    return { done: response.status === 200 && status !== 'InProgress', body: { ...body, status: status || (response.status === 200 ? 'Finished' : 'InProgress') } };
  }

  /** Polls until the analysis is done, the wait runs out (CheckerWaitError) or the signal aborts (CheckerWaitError). */
  async waitForCompletion(statusUrl: string, correlationId: string, options: WaitOptions = {}): Promise<AnalysisStatus> {
    const maxWaitMs = options.maxWaitMs ?? 60 * 60_000;
    const maxInterval = options.maxPollIntervalMs ?? 60_000;
    let interval = Math.min(options.pollIntervalMs ?? 15_000, maxInterval);
    const started = this.clock.now();
    const deadline = started + maxWaitMs;
    let polls = 0;
    let last: AnalysisStatus = { status: 'InProgress' };
    for (;;) {
      const wait = Math.min(interval, Math.max(0, deadline - this.clock.now()));
      try {
        await sleep(this.clock, wait, options.signal);
        const { done, body } = await this.getStatus(statusUrl, correlationId, options.signal);
        polls++;
        last = body;
        options.onProgress?.({ status: body.status, progress: typeof body.progress === 'number' ? body.progress : 0, polls, elapsedMs: this.clock.now() - started });
        if (done) return body;
      } catch (err) {
        if (options.signal?.aborted) throw this.waitError(statusUrl, correlationId, last, 'cancelled');
        throw err;
      }
      if (this.clock.now() >= deadline) throw this.waitError(statusUrl, correlationId, last, 'timeout', maxWaitMs);
      interval = Math.min(Math.round(interval * 1.5), maxInterval);
    }
  }

  /** Downloads one result zip (a SAS URL: no Authorization header) and extracts its SARIF files. */
  async downloadResults(uri: string, options: { signal?: AbortSignal; limits?: Partial<ResultZipLimits> } = {}): Promise<ResultFile> {
    const limits = { ...DEFAULT_RESULT_ZIP_LIMITS, ...options.limits };
    assertSecureUrl(uri, 'checker result URL');
    const label = redactUrl(uri);
    const bytes = await downloadResultZip(this.http, uri, { label, maxBytes: limits.maxZipBytes, signal: options.signal, logger: this.logger });
    return { uri: label, sarifFiles: await extractSarifFiles(bytes, label, limits) };
  }

  /** The whole flow for one run: upload every file, analyze, wait, download (§9.9). */
  async run(options: RunOptions): Promise<AnalysisRun> {
    if (options.files.length === 0) throw new UserError('No solution file was given to the checker.');
    for (const file of options.files) uploadSize(file);
    const ruleset = options.ruleCodes?.length ? undefined : await this.resolveRuleset(options.ruleset ?? '', options.signal);
    for (let attempt = 1; ; attempt++) {
      const correlationId = this.newCorrelationId();
      this.logger.debug(`Checker run correlation id ${correlationId}`);
      const sasUriList: string[] = [];
      for (const file of options.files) sasUriList.push(...await this.upload(file, correlationId, options.signal));
      let statusUrl: string;
      try {
        statusUrl = await this.analyze({
          sasUriList,
          ruleSets: ruleset ? [{ id: ruleset.id }] : undefined,
          ruleCodes: options.ruleCodes?.map((code) => ({ code })),
          fileExclusions: options.fileExclusions,
        }, correlationId, options.signal);
      } catch (err) {
        if (!(err instanceof CorrelationIdConflict)) throw err;
        if (attempt >= 2) {
          throw new UserError(`The checker rejected the analysis request twice as a reused correlation id (last ${correlationId}).`, 'Run the check again.');
        }
        this.logger.info(`The checker says correlation id ${correlationId} was already used; starting over with a new one.`);
        continue;
      }
      const final = await this.waitForCompletion(statusUrl, correlationId, options);
      const results: ResultFile[] = [];
      for (const uri of final.resultFileUris ?? []) results.push(await this.downloadResults(uri, { signal: options.signal, limits: options.limits }));
      return {
        correlationId,
        ruleset,
        status: final.status,
        error: describeServiceError(final.error),
        issueSummary: final.issueSummary,
        results,
        statusUrl: redactUrl(statusUrl),
      };
    }
  }

  private api(name: string, apiVersion: string): string {
    return `${this.checkerUrl}/api/${name}?api-version=${apiVersion}`;
  }

  /**
   * The Location of a started analysis. The bearer token goes there, so it must be the checker's own host or
   * another checker host (regional instances), over https (http only for loopback).
   */
  private statusUrlFrom(location: string): string {
    let url: URL;
    try {
      url = new URL(location, `${this.checkerUrl}/`);
    } catch {
      throw new UserError(`The checker returned an unusable status location '${redactUrl(location)}'.`);
    }
    const base = new URL(this.checkerUrl);
    const trusted = url.host === base.host || /\.api\.advisor\.(powerapps\.com|powerapps\.us|appsplatform\.us|powerapps\.cn)$/i.test(url.hostname);
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    if (!trusted || !secure) {
      throw new UserError(`The checker returned a status location on an unexpected host (${url.protocol}//${url.host}); not sending credentials there.`,
        'Check the checker URL setting.');
    }
    return url.toString();
  }

  private async call<T>(
    operation: string,
    method: HttpMethod,
    url: string,
    options: {
      correlationId?: string;
      signal?: AbortSignal;
      headers?: Record<string, string>;
      body?: RequestBody;
      idempotent?: boolean;
      timeoutMs?: number;
      acceptStatuses?: number[];
      rethrow409?: boolean;
    },
  ): Promise<HttpResponse<T>> {
    const send = async (forceRefresh: boolean): Promise<HttpResponse<T>> => {
      const token = await this.tokenProvider.getToken(this.resource, { forceRefresh, signal: options.signal });
      return this.http.request<T>({
        method,
        url,
        headers: {
          Accept: 'application/json',
          ...options.headers,
          Authorization: `Bearer ${token}`,
          'x-ms-tenant-id': this.tenantId,
          ...(options.correlationId ? { 'x-ms-correlation-id': options.correlationId } : {}),
        },
        body: options.body,
        signal: options.signal,
        idempotent: options.idempotent,
        timeoutMs: options.timeoutMs,
        acceptStatuses: options.acceptStatuses,
        description: `checker ${operation}`,
      });
    };
    try {
      try {
        return await send(false);
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 401)) throw err;
        this.logger.debug(`The checker answered 401 to the ${operation}: refreshing the token and trying once more`);
        return await send(true);
      }
    } catch (err) {
      if (!(err instanceof HttpError) || err.kind === 'aborted' || (options.rethrow409 && err.status === 409)) throw err;
      throw new CheckerError(operation, options.correlationId, err);
    }
  }

  private waitError(statusUrl: string, correlationId: string, last: AnalysisStatus, why: 'timeout' | 'cancelled', maxWaitMs = 0): CheckerWaitError {
    const progress = typeof last.progress === 'number' ? ` at ${last.progress}%` : '';
    const where = `Status URL: ${redactUrl(statusUrl)} (correlation id ${correlationId}).`;
    if (why === 'cancelled') {
      return new CheckerWaitError(`Stopped waiting for the checker analysis (last status ${last.status}${progress}); the service may still be running it. ${where}`,
        'Nothing needs cleaning up: the analysis ends on its own.', true);
    }
    return new CheckerWaitError(
      `The checker analysis did not finish within ${formatDuration(maxWaitMs)} (last status ${last.status}${progress}); the service is still running it. ${where}`,
      'Allow a longer wait, or run the check again later.', false);
  }
}

/** Size of a solution zip to upload, refusing missing files and anything over the 30 MB upload limit. */
function uploadSize(file: string): number {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch (err) {
    throw new UserError(`Cannot read the solution file '${file}' for the checker: ${(err as Error).message}.`, 'Check the path of the solution zip.');
  }
  if (size > MAX_UPLOAD_BYTES) {
    throw new UserError(`The solution file '${path.basename(file)}' is ${formatBytes(size)}; the Power Apps checker accepts at most 30 MB per upload.`,
      'Make the solution smaller (for example, move large web resources or data out of it) or check its parts separately.');
  }
  return size;
}

/** The `error` of a Failed status (shape unverified): its message, code, or the JSON as a last resort. */
function describeServiceError(error: unknown): string | undefined {
  if (error === undefined || error === null || error === '') return undefined;
  if (typeof error === 'string') return error;
  if (isRecord(error)) {
    const message = [error.code, error.message ?? error.Message].filter((v) => typeof v === 'string' && v !== '').join(': ');
    if (message) return message;
  }
  return JSON.stringify(error).slice(0, 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Routes and handlers of the emulated Power Apps checker web API under `{base}/checker` (protocol.md §9, §10):
 * ruleset and rule lookups, upload, analyze, status, and the blob storage of the SAS URLs.
 */
import type { IncomingMessage } from 'node:http';
import * as yazl from 'yazl';
import { beforeAnswer, setIdentity, type RequestContext } from '../core/context';
import { BodyTooLargeError, headerValue, readBody, safeDecode, sendPlainJson } from '../core/http';
import { analyzeSolution, NotAZipError, openUploadedZip, type AnalyzedFile } from './analysis';
import { authenticate, checkRunHeaders, type Refusal } from './auth';
import { BLOB_PREFIX, handleBlobRequest, putBlob, readBlobUrl } from './blob';
import { boundaryOf, dispositionFileName, firstPart, MultipartError } from './multipart';
import { findRuleset, helpUri, RULES, RULESETS, rulesOf, type EmulatedRule } from './rules';
import { buildSarif, issueSummaryOf } from './sarif';
import { checkerState, type Caller, type Job } from './state';

export const CHECKER_PREFIX = '/checker';
/** Largest solution file the upload accepts (§9.5). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;
/** Room for the multipart framing around the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const PRIVACY_POLICY = 'https://go.microsoft.com/fwlink/?LinkID=310140';

export function isCheckerPath(path: string): boolean {
  return path === CHECKER_PREFIX || path.startsWith(`${CHECKER_PREFIX}/`);
}

export async function handleCheckerRequest(rc: RequestContext): Promise<void> {
  if (!(await beforeAnswer(rc))) return;
  if (rc.path.startsWith(BLOB_PREFIX)) return handleBlobRequest(rc);
  const route = rc.path.slice(CHECKER_PREFIX.length).replace(/\/+$/, '');
  const status = /^\/api\/status\/([^/&?]+)(?:&.*)?$/i.exec(route);
  if (status) return only(rc, 'GET', () => handleStatus(rc, status[1]));
  switch (route.toLowerCase()) {
    case '/api/ruleset':
      return only(rc, 'GET', () => handleRulesets(rc));
    case '/api/rule':
      return only(rc, 'GET', () => handleRules(rc));
    case '/api/upload':
      return only(rc, 'POST', () => handleUpload(rc));
    case '/api/analyze':
      return only(rc, 'POST', () => handleAnalyze(rc));
  }
  sendError(rc, { status: 404, code: 'NotFound', message: `No checker API at ${rc.path}. Known: /checker/api/{ruleset,rule,upload,analyze,status/{id}}.` });
}

async function only(rc: RequestContext, method: string, handler: () => Promise<void> | void): Promise<void> {
  if (rc.method !== method) {
    return sendError(rc, { status: 405, code: 'MethodNotAllowed', message: `${rc.path} answers ${method} only.`, headers: { Allow: method } });
  }
  await handler();
}

function sendError(rc: RequestContext, refusal: Refusal): void {
  sendPlainJson(rc.res, refusal.status, { error: { code: refusal.code, message: refusal.message } }, refusal.headers);
}

/** The caller with the run headers checked, or undefined after answering with the refusal. */
function runCaller(rc: RequestContext): { caller: Caller; correlationId: string } | undefined {
  const refuse = (refusal: Refusal): undefined => {
    // Consume the unread body (an upload may be 30 MB) so the client gets the answer, not a broken pipe.
    rc.req.resume();
    sendError(rc, refusal);
    return undefined;
  };
  const auth = authenticate(rc);
  if ('refusal' in auth) return refuse(auth.refusal);
  if (!('caller' in auth)) return undefined;
  setIdentity(rc, rc.emulator.directory.identity(auth.caller.tenantId, auth.caller.appId));
  const headers = checkRunHeaders(rc, auth.caller);
  if ('status' in headers) return refuse(headers);
  return { caller: auth.caller, correlationId: headers.correlationId };
}

/** Ruleset and rule lookups work with or without a token (§9.2 DOC-CONFLICT); a token that is sent must be valid. */
function lookupAllowed(rc: RequestContext): boolean {
  const auth = authenticate(rc, true);
  if ('refusal' in auth) {
    sendError(rc, auth.refusal);
    return false;
  }
  if ('caller' in auth) setIdentity(rc, rc.emulator.directory.identity(auth.caller.tenantId, auth.caller.appId));
  return true;
}

function handleRulesets(rc: RequestContext): void {
  if (!lookupAllowed(rc)) return;
  sendPlainJson(rc.res, 200, RULESETS.map((r) => ({ id: r.id, name: r.name })));
}

function handleRules(rc: RequestContext): void {
  if (!lookupAllowed(rc)) return;
  const requested = (rc.url.searchParams.get('ruleset') ?? '').split(/[,;]/).map((s) => s.trim()).filter(Boolean);
  const withMessages = rc.url.searchParams.get('includeMessageFormats')?.toLowerCase() === 'true';
  let rules: EmulatedRule[];
  if (requested.length === 0) {
    rules = [...RULES];
  } else {
    const sets = requested.map(findRuleset).filter((r) => r !== undefined);
    rules = RULES.filter((rule) => sets.some((set) => rulesOf(set).includes(rule)));
  }
  if (rules.length === 0) {
    rc.res.writeHead(204).end();
    return;
  }
  sendPlainJson(rc.res, 200, rules.map((r) => ({
    code: r.code,
    summary: r.summary,
    description: r.description,
    guidanceUrl: helpUri(r.code),
    include: true,
    howToFix: { summary: r.howToFix },
    ...(withMessages ? { messageTemplates: [{ ruleId: r.code, messageTemplateId: 'message1', messageTemplate: r.messageTemplate }] } : {}),
  })));
}

async function handleUpload(rc: RequestContext): Promise<void> {
  const run = runCaller(rc);
  if (!run) return;
  const body = await readBinaryBody(rc.req, MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES);
  const tooLarge = (): void => sendError(rc, { status: 413, code: 'PayloadTooLarge', message: `The file is larger than ${MAX_UPLOAD_BYTES} bytes (30 MB), the most the upload accepts. Provide your own SAS URI for larger files.` });
  if (body === undefined) return tooLarge();
  const boundary = boundaryOf(headerValue(rc.req, 'content-type'));
  if (!boundary) return sendError(rc, { status: 400, code: 'BadRequest', message: 'The upload must be multipart/form-data (with a boundary) holding the solution zip.' });
  let part;
  try {
    part = firstPart(body, boundary);
  } catch (err) {
    if (err instanceof MultipartError) return sendError(rc, { status: 400, code: 'BadRequest', message: `Cannot read the multipart body: ${err.message}` });
    throw err;
  }
  if (part.content.length > MAX_UPLOAD_BYTES) return tooLarge();
  try {
    (await openUploadedZip(part.content)).zip.close();
  } catch (err) {
    if (err instanceof NotAZipError) return sendError(rc, { status: 400, code: 'BadRequest', message: `The uploaded file is not a zip file: ${err.message}` });
    throw err;
  }
  const fileName = safeFileName(part.fileName ?? dispositionFileName(headerValue(rc.req, 'content-disposition')) ?? 'solution.zip');
  const uri = putBlob(rc, `solution-files/${rc.requestId}/${fileName}`, part.content);
  sendPlainJson(rc.res, 200, [uri]);
}

async function handleAnalyze(rc: RequestContext): Promise<void> {
  const run = runCaller(rc);
  if (!run) return;
  let body: unknown;
  try {
    const text = await readBody(rc.req);
    body = text.trim() === '' ? undefined : JSON.parse(text);
  } catch (err) {
    if (err instanceof BodyTooLargeError || err instanceof SyntaxError) return sendError(rc, { status: 400, code: 'BadRequest', message: `The analyze body is not readable JSON: ${err.message}` });
    throw err;
  }
  const state = checkerState(rc.emulator);
  if (state.jobs.has(run.correlationId)) {
    return sendError(rc, { status: 409, code: 'Conflict', message: `The correlation id ${run.correlationId} was already used for an analysis. Use a new x-ms-correlation-id.` });
  }
  const request = parseAnalyzeBody(body);
  if ('status' in request) return sendError(rc, request);

  const sources: { fileName: string; bytes: Buffer }[] = [];
  for (const sasUri of request.sasUriList) {
    const blob = readBlobUrl(rc, sasUri);
    if (!blob.ok) return sendError(rc, { status: 400, code: 'BadRequest', message: `Cannot read the file at sasUriList entry '${sasUri.replace(/([?&]sig=)[^&]*/, '$1***')}': ${blob.message}` });
    sources.push({ fileName: blob.blobPath.split('/').pop() ?? 'solution.zip', bytes: blob.content });
  }

  const outcome = rc.emulator.seed.checker.outcome;
  // FinishedWithErrors: the plug-in assembly rules (else the last rule asked for) "fail", so their findings are
  // missing and the SARIF says so.
  const assemblyRules = request.rules.filter((r) => r.target === 'assembly');
  const failing = assemblyRules.length > 0 ? assemblyRules : request.rules.slice(-1);
  const failedRules = outcome === 'FinishedWithErrors' ? failing.map((r) => r.code) : [];
  const rules = request.rules.filter((r) => !failedRules.includes(r.code));
  const started = new Date();
  const files: AnalyzedFile[] = [];
  for (const source of sources) {
    try {
      files.push(await analyzeSolution({ ...source, rules, fileExclusions: request.fileExclusions }));
    } catch (err) {
      if (err instanceof NotAZipError) return sendError(rc, { status: 400, code: 'BadRequest', message: `${source.fileName} is not a zip file: ${err.message}` });
      throw err;
    }
  }
  const resultFileUris: string[] = [];
  if (outcome !== 'Failed') {
    for (const file of files) {
      const sarif = buildSarif(file, { rules: request.rules, correlationId: run.correlationId, startTime: started, endTime: new Date(), failedRules });
      const base = file.fileName.replace(/\.zip$/i, '');
      const zip = await zipOf(`${base}.sarif`, Buffer.from(JSON.stringify(sarif, null, 2), 'utf8'));
      resultFileUris.push(putBlob(rc, `report-files/${run.correlationId}/${base}.zip`, zip));
    }
  }
  const statusUrl = `${rc.emulator.baseUrl}${CHECKER_PREFIX}/api/status/${run.correlationId}&api-version=1.0`;
  const job: Job = {
    correlationId: run.correlationId,
    caller: run.caller,
    statusUrl,
    polls: 0,
    pollsBeforeDone: rc.emulator.seed.checker.statusPolls,
    outcome,
    files,
    resultFileUris,
    issueSummary: issueSummaryOf(files),
  };
  state.jobs.set(run.correlationId, job);
  rc.res.writeHead(202, { Location: statusUrl, 'Content-Length': '0' });
  rc.res.end();
}

function handleStatus(rc: RequestContext, rawId: string): void {
  const run = runCaller(rc);
  if (!run) return;
  const job = checkerState(rc.emulator).jobs.get(safeDecode(rawId).toLowerCase());
  if (!job) return sendError(rc, { status: 404, code: 'NotFound', message: `No analysis with the id ${rawId}.` });
  if (job.caller.appId.toLowerCase() !== run.caller.appId.toLowerCase() || job.caller.tenantId.toLowerCase() !== run.caller.tenantId.toLowerCase()) {
    return sendError(rc, { status: 403, code: 'Forbidden', message: 'Only the application that started the analysis can read its status.' });
  }
  const base = { privacyPolicy: PRIVACY_POLICY, runCorrelationId: job.correlationId };
  if (job.polls < job.pollsBeforeDone) {
    job.polls++;
    const progress = Math.floor((100 * job.polls) / (job.pollsBeforeDone + 1));
    return sendPlainJson(rc.res, 202, { ...base, progress, status: 'InProgress' }, { Location: job.statusUrl });
  }
  if (job.outcome === 'Failed') {
    return sendPlainJson(rc.res, 200, {
      ...base,
      progress: 100,
      status: 'Failed',
      error: { code: 'AnalysisFailed', message: 'The analysis could not be completed (emulated failure: seed checker.outcome = Failed).' },
    });
  }
  sendPlainJson(rc.res, 200, { ...base, progress: 100, resultFileUris: job.resultFileUris, status: job.outcome, issueSummary: job.issueSummary });
}

type AnalyzeBody = { sasUriList: string[]; rules: EmulatedRule[]; fileExclusions: string[] };

function parseAnalyzeBody(body: unknown): AnalyzeBody | Refusal {
  const bad = (message: string): Refusal => ({ status: 400, code: 'BadRequest', message });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('The analyze body must be a JSON object with sasUriList and ruleSets (or ruleCodes).');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.sasUriList) || b.sasUriList.length === 0 || b.sasUriList.some((u) => typeof u !== 'string')) {
    return bad('sasUriList must be a non-empty array of SAS URIs (as returned by /api/upload).');
  }
  if (b.fileExclusions !== undefined && (!Array.isArray(b.fileExclusions) || b.fileExclusions.some((p) => typeof p !== 'string'))) {
    return bad('fileExclusions must be an array of strings such as "*jquery*".');
  }
  let rules: EmulatedRule[];
  if (Array.isArray(b.ruleCodes) && b.ruleCodes.length > 0) {
    const codes = b.ruleCodes.map((c) => (typeof c === 'object' && c !== null ? (c as { code?: unknown }).code : undefined));
    const unknown = codes.filter((c) => typeof c !== 'string' || !RULES.some((r) => r.code === c));
    if (unknown.length > 0) return bad(`Unknown rule code(s): ${unknown.map((c) => JSON.stringify(c)).join(', ')}. GET /api/rule lists them.`);
    rules = RULES.filter((r) => codes.includes(r.code));
  } else if (Array.isArray(b.ruleSets) && b.ruleSets.length > 0) {
    const ids = b.ruleSets.map((s) => (typeof s === 'object' && s !== null ? (s as { id?: unknown }).id : undefined));
    const sets = ids.map((id) => (typeof id === 'string' ? findRuleset(id) : undefined));
    if (sets.some((s) => s === undefined)) {
      return bad(`Unknown ruleset id(s) ${ids.map((id) => JSON.stringify(id)).join(', ')}; known: ${RULESETS.map((r) => `${r.id} (${r.name})`).join(', ')}.`);
    }
    rules = RULES.filter((rule) => sets.some((set) => set !== undefined && rulesOf(set).includes(rule)));
  } else {
    return bad('Give ruleSets ([{ "id": "<ruleset GUID>" }]) or ruleCodes ([{ "code": "<rule code>" }]).');
  }
  return { sasUriList: b.sasUriList as string[], rules, fileExclusions: (b.fileExclusions as string[] | undefined) ?? [] };
}

/** Reads the whole body, or drains it and returns undefined when it is larger than `limit`. */
async function readBinaryBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()?.trim() ?? '';
  return base === '' || base === '.' || base === '..' ? 'solution.zip' : base;
}

function zipOf(name: string, content: Buffer): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(content, name, { mtime: new Date() });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

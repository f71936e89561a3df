/** CheckerClient against a scripted local server (127.0.0.1); polling under sinon fake timers. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import * as yazl from 'yazl';
import { CheckerClient, CheckerError, CheckerWaitError, MAX_UPLOAD_BYTES, type PollProgress } from '../../../shared/checker';
import { UserError } from '../../../shared/core';
import { createHttpClient, type ClosableHttpClient } from '../../../shared/http';
import { drive, startServer, type LocalServer } from '../http/local-servers';

const TENANT = '11111111-1111-4111-8111-111111111111';
const SAMPLE_SARIF = JSON.stringify({
  version: '2.1.0',
  runs: [{
    tool: { driver: { name: 'PowerApps Checker', rules: [{ id: 'web-avoid-eval', properties: { severity: 'High' } }] } },
    results: [{ ruleId: 'web-avoid-eval', ruleIndex: 0, message: { text: 'eval' }, properties: { severity: 'High' } }],
  }],
});

function zipOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

interface Script {
  upload?: Route;
  analyze?: Route;
  status?: Route;
  blob?: Route;
  ruleset?: Route;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

describe('CheckerClient', () => {
  let server: LocalServer;
  let httpClient: ClosableHttpClient;
  let dir: string;
  let solution: string;
  let resultZip: Buffer;
  let tokens: { forceRefresh?: boolean }[];
  let script: Script;
  /** Fake time at which each status request arrived. */
  let statusTimes: number[];

  const client = (options: { newCorrelationId?: () => string } = {}): CheckerClient => new CheckerClient({
    checkerUrl: `${server.url}/`,
    tenantId: TENANT,
    uploadTimeoutMs: 0,
    http: httpClient,
    tokenProvider: {
      getToken: (resource, opts) => {
        assert.equal(resource, 'https://api.advisor.powerapps.com');
        tokens.push({ forceRefresh: opts?.forceRefresh });
        return Promise.resolve(`token-${tokens.length}`);
      },
    },
    ...options,
  });
  const statusUrl = (id = 'ID'): string => `${server.url}/api/status/${id}&api-version=1.0`;

  before(async () => {
    resultZip = await zipOf({ 'Contoso.sarif': SAMPLE_SARIF, 'readme.txt': 'not sarif' });
    server = await startServer((req, res, body) => {
      const url = req.url ?? '';
      const route: Route | undefined =
        url.startsWith('/api/upload') ? script.upload
          : url.startsWith('/api/analyze') ? script.analyze
            : url.startsWith('/api/status/') ? script.status
              : url.startsWith('/blob/') ? script.blob
                : url.startsWith('/api/ruleset') ? script.ruleset : undefined;
      if (url.startsWith('/api/status/')) statusTimes.push(Date.now());
      if (route) route(req, res, body);
      else json(res, 404, { error: { code: 'NotFound', message: url } });
    });
  });
  after(async () => { await server.close(); });

  beforeEach(() => {
    httpClient = createHttpClient({ productVersion: 'test', timeoutMs: 0, retry: { maxAttempts: 1 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checker-client-'));
    solution = path.join(dir, 'Contoso_1_0_0_0.zip');
    fs.writeFileSync(solution, Buffer.from('PK\x03\x04 pretend zip bytes'));
    tokens = [];
    statusTimes = [];
    server.requests.length = 0;
    let polls = 0;
    script = {
      upload: (_req, res) => json(res, 200, [`${server.url}/blob/solution-files/1/Contoso_1_0_0_0.zip?sv=1&sig=secret`]),
      analyze: (_req, res) => { res.writeHead(202, { Location: statusUrl() }).end(); },
      status: (_req, res) => {
        polls++;
        if (polls <= 3) json(res, 202, { status: 'InProgress', progress: polls * 20 }, { Location: statusUrl() });
        else json(res, 200, { status: 'Finished', progress: 100, resultFileUris: [`${server.url}/blob/report-files/ID/Contoso.zip?sv=1&sig=secret`], issueSummary: { criticalIssueCount: 0, highIssueCount: 1, mediumIssueCount: 0, lowIssueCount: 0, informationalIssueCount: 0 } });
      },
      blob: (_req, res) => { res.writeHead(200, { 'Content-Type': 'application/zip' }).end(resultZip); },
    };
  });
  afterEach(() => {
    httpClient.close();
    fs.rmSync(dir, { recursive: true, force: true });
    sinon.restore();
  });

  it('runs the whole flow with one correlation id, backing off between status checks and reporting progress', async () => {
    const clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const progress: PollProgress[] = [];
    const started = Date.now();
    const run = await drive(client({ newCorrelationId: () => 'c0ffee00-0000-4000-8000-000000000001' }).run({
      files: [solution], ruleset: 'Solution Checker', fileExclusions: ['*jquery*'],
      pollIntervalMs: 1000, maxPollIntervalMs: 3000, maxWaitMs: 60_000, onProgress: (p) => progress.push(p),
    }), clock);

    assert.equal(run.status, 'Finished');
    assert.equal(run.correlationId, 'c0ffee00-0000-4000-8000-000000000001');
    assert.equal(run.statusUrl, `${server.url}/api/status/ID&api-version=1.0`);
    assert.deepEqual(run.issueSummary?.highIssueCount, 1);
    assert.equal(run.results.length, 1);
    assert.equal(run.results[0].uri, `${server.url}/blob/report-files/ID/Contoso.zip?sv=1&sig=***`);
    assert.deepEqual(run.results[0].sarifFiles.map((f) => [f.name, f.content.toString()]), [['Contoso.sarif', SAMPLE_SARIF]]);

    // Waits 1 s, 1.5 s, 2.25 s, then capped at 3 s.
    assert.deepEqual(statusTimes.map((t, i) => t - (i === 0 ? started : statusTimes[i - 1])), [1000, 1500, 2250, 3000]);
    assert.deepEqual(progress.map((p) => [p.status, p.progress, p.polls, p.elapsedMs]), [
      ['InProgress', 20, 1, 1000], ['InProgress', 40, 2, 2500], ['InProgress', 60, 3, 4750], ['Finished', 100, 4, 7750],
    ]);

    const [upload, analyze, ...rest] = server.requests;
    const statuses = rest.filter((r) => r.url.startsWith('/api/status/'));
    const blob = rest.find((r) => r.url.startsWith('/blob/'));
    assert.equal(upload.url, '/api/upload?api-version=1.0');
    assert.equal(analyze.url, '/api/analyze?api-version=1.0');
    for (const r of [upload, analyze, ...statuses]) {
      assert.equal(r.headers['x-ms-correlation-id'], 'c0ffee00-0000-4000-8000-000000000001');
      assert.equal(r.headers['x-ms-tenant-id'], TENANT);
      assert.match(r.headers.authorization ?? '', /^Bearer token-/);
    }
    assert.equal(blob?.headers.authorization, undefined, 'no credentials to blob storage');
    assert.equal(statuses[0].url, '/api/status/ID&api-version=1.0', 'the Location is used as given, with its literal &');

    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(upload.headers['content-type'] ?? '')?.[1];
    assert.ok(boundary);
    assert.equal(upload.headers['content-disposition'], 'form-data; name="Contoso_1_0_0_0.zip"; filename="Contoso_1_0_0_0.zip"');
    assert.equal(upload.body.toString('latin1'),
      `--${boundary}\r\nContent-Disposition: form-data; name="Contoso_1_0_0_0.zip"; filename="Contoso_1_0_0_0.zip"\r\nContent-Type: application/zip\r\n\r\n` +
      `PK\x03\x04 pretend zip bytes\r\n--${boundary}--\r\n`);
    assert.equal(Number(upload.headers['content-length']), upload.body.length);
    assert.match(analyze.headers.accept ?? '', /application\/json, application\/x-ms-sarif-v2/);
    assert.deepEqual(JSON.parse(analyze.body.toString()), {
      sasUriList: [`${server.url}/blob/solution-files/1/Contoso_1_0_0_0.zip?sv=1&sig=secret`],
      ruleSets: [{ id: '0ad12346-e108-40b8-a956-9a8f95ea18c9' }],
      fileExclusions: ['*jquery*'],
    });
  });

  it('gives up after the maximum wait, saying the service is still working and where to look', async () => {
    const clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    script.status = (_req, res) => json(res, 202, { status: 'InProgress', progress: 10 });
    const started = Date.now();
    const err = await drive(client().run({ files: [solution], pollIntervalMs: 2000, maxPollIntervalMs: 4000, maxWaitMs: 10_000 }), clock).catch((e: unknown) => e);
    assert.ok(err instanceof CheckerWaitError);
    assert.equal(err.cancelled, false);
    assert.match(err.message, /did not finish within 10 s \(last status InProgress at 10%\); the service is still running it\. Status URL: .*api\/status\/ID&api-version=1\.0 \(correlation id /);
    // 2 s, 3 s, 4 s, then the last wait is cut to the deadline (1 s), with one last check at 10 s.
    assert.deepEqual(statusTimes.map((t) => t - started), [2000, 5000, 9000, 10_000]);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    script.status = (_req, res) => json(res, 202, { status: 'InProgress', progress: 50 });
    const controller = new AbortController();
    const run = client().run({ files: [solution], pollIntervalMs: 1000, signal: controller.signal, onProgress: (p) => { if (p.polls === 2) controller.abort(); } });
    const err = await drive(run, clock).catch((e: unknown) => e);
    assert.ok(err instanceof CheckerWaitError);
    assert.equal(err.cancelled, true);
    assert.match(err.message, /Stopped waiting for the checker analysis \(last status InProgress at 50%\); the service may still be running it/);
    assert.equal(statusTimes.length, 2);
  });

  it('on 409 starts over once with a new correlation id, and gives up on a second 409', async () => {
    let analyses = 0;
    script.analyze = (_req, res) => {
      analyses++;
      if (analyses === 1) json(res, 409, { error: { code: 'Conflict', message: 'correlation id already used' } });
      else res.writeHead(202, { Location: statusUrl() }).end();
    };
    script.status = (_req, res) => json(res, 200, { status: 'Finished', resultFileUris: [] });
    const ids = ['c0ffee00-0000-4000-8000-00000000000a', 'c0ffee00-0000-4000-8000-00000000000b'];
    const run = await client({ newCorrelationId: () => ids.shift() ?? 'none' }).run({ files: [solution], pollIntervalMs: 1 });
    assert.equal(run.correlationId, 'c0ffee00-0000-4000-8000-00000000000b');
    const seen = server.requests.filter((r) => !r.url.startsWith('/api/status')).map((r) => `${r.url.split('?')[0]} ${r.headers['x-ms-correlation-id']}`);
    assert.deepEqual(seen, [
      '/api/upload c0ffee00-0000-4000-8000-00000000000a', '/api/analyze c0ffee00-0000-4000-8000-00000000000a',
      '/api/upload c0ffee00-0000-4000-8000-00000000000b', '/api/analyze c0ffee00-0000-4000-8000-00000000000b',
    ]);

    script.analyze = (_req, res) => json(res, 409, {});
    await assert.rejects(client().run({ files: [solution], pollIntervalMs: 1 }), /rejected the analysis request twice as a reused correlation id/);
  });

  it('refreshes the token once on 401', async () => {
    let uploads = 0;
    const upload = script.upload as Route;
    script.upload = (req, res, body) => {
      uploads++;
      if (uploads === 1) json(res, 401, { error: { code: 'Unauthorized', message: 'expired' } });
      else upload(req, res, body);
    };
    script.status = (_req, res) => json(res, 200, { status: 'Finished' });
    await client().run({ files: [solution], pollIntervalMs: 1 });
    assert.deepEqual(tokens.slice(0, 2), [{ forceRefresh: false }, { forceRefresh: true }]);
  });

  it('refuses a file over 30 MB before any call, and a missing file', async () => {
    const big = path.join(dir, 'Big.zip');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_UPLOAD_BYTES + 1);
    await assert.rejects(client().run({ files: [big] }), (err: unknown) =>
      err instanceof UserError && /'Big\.zip' is 30\.0 MB; the Power Apps checker accepts at most 30 MB per upload/.test(err.message));
    await assert.rejects(client().run({ files: [path.join(dir, 'missing.zip')] }), /Cannot read the solution file/);
    await assert.rejects(client().run({ files: [] }), /No solution file/);
    assert.equal(server.requests.length, 0);
  });

  it('surfaces a Failed analysis with the service error, and FinishedWithErrors as its status', async () => {
    script.status = (_req, res) => json(res, 200, { status: 'Failed', progress: 100, error: { code: 'AnalysisFailed', message: 'Something broke' } });
    const failed = await client().run({ files: [solution], pollIntervalMs: 1 });
    assert.deepEqual([failed.status, failed.error, failed.results], ['Failed', 'AnalysisFailed: Something broke', []]);

    script.status = (_req, res) => json(res, 200, { status: 'FinishedWithErrors', resultFileUris: [`${server.url}/blob/r.zip?sig=s`] });
    const partial = await client().run({ files: [solution], pollIntervalMs: 1 });
    assert.equal(partial.status, 'FinishedWithErrors');
    assert.equal(partial.results[0].sarifFiles.length, 1);
  });

  it('names the operation, status and correlation id when a call fails', async () => {
    script.upload = (_req, res) => json(res, 400, { error: { code: 'BadRequest', message: 'The uploaded file is not a zip file' } });
    const err = await client({ newCorrelationId: () => 'c0ffee00-0000-4000-8000-000000000009' }).run({ files: [solution] }).catch((e: unknown) => e);
    assert.ok(err instanceof CheckerError);
    assert.equal(err.status, 400);
    assert.equal(err.message, 'Power Apps checker upload of Contoso_1_0_0_0.zip failed: HTTP 400 — The uploaded file is not a zip file (correlation id c0ffee00-0000-4000-8000-000000000009).');
    script.upload = (_req, res) => json(res, 403, {});
    await assert.rejects(client().run({ files: [solution] }), /same application that started the analysis/);
  });

  it('sends no credentials to a status location on a foreign host', async () => {
    script.analyze = (_req, res) => { res.writeHead(202, { Location: 'https://attacker.example.com/api/status/ID&api-version=1.0' }).end(); };
    await assert.rejects(client().run({ files: [solution], pollIntervalMs: 1 }), /unexpected host \(https:\/\/attacker\.example\.com\); not sending credentials there/);
    assert.equal(server.requests.filter((r) => r.url.startsWith('/api/status')).length, 0);
  });

  it('bounds and checks result zips', async () => {
    const c = client();
    await assert.rejects(c.downloadResults(`${server.url}/blob/r.zip?sig=s`, { limits: { maxZipBytes: 100 } }), /larger than the 1 KB allowed/);
    await assert.rejects(c.downloadResults(`${server.url}/blob/r.zip?sig=s`, { limits: { maxSarifBytes: 10 } }), /Contoso\.sarif' in .* is \d+ bytes, more than the 10 bytes allowed/);
    script.blob = (_req, res) => { res.writeHead(200).end('<html>not a zip</html>'); };
    await assert.rejects(c.downloadResults(`${server.url}/blob/r.zip?sig=s`), /is not a readable zip/);
    script.blob = (_req, res) => json(res, 403, {});
    await assert.rejects(c.downloadResults(`${server.url}/blob/r.zip?sig=s`), /result download failed: HTTP 403.*link may have expired/);
    await assert.rejects(c.downloadResults('http://example.com/r.zip'), /must use https/);
  });

  it('looks a custom ruleset name up in the ruleset listing (api-version 2.0)', async () => {
    script.ruleset = (_req, res) => json(res, 200, [{ id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Custom' }]);
    script.status = (_req, res) => json(res, 200, { status: 'Finished' });
    const run = await client().run({ files: [solution], ruleset: 'custom', pollIntervalMs: 1 });
    assert.deepEqual(run.ruleset, { id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Custom' });
    assert.equal(server.requests[0].url, '/api/ruleset?api-version=2.0');
    assert.equal(server.requests[0].headers['x-ms-correlation-id'], undefined);
  });

  it('refuses an insecure checker URL and a missing tenant id', () => {
    const base = { http: httpClient, tokenProvider: { getToken: () => Promise.resolve('t') } };
    assert.throws(() => new CheckerClient({ ...base, checkerUrl: 'http://europe.api.advisor.powerapps.com', tenantId: TENANT }), /must use https/);
    assert.throws(() => new CheckerClient({ ...base, checkerUrl: 'https://europe.api.advisor.powerapps.com', tenantId: ' ' }), /needs the tenant id/);
  });
});

/**
 * The Power Apps checker through the real emulator: shared/checker's client uploads a crafted solution,
 * analyzes, polls, downloads the SARIF, and the gate reads it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator, type Seed } from '../../../emulator';
import { createTokenProvider } from '../../../shared/auth';
import {
  CheckerClient, compareWithIssueSummary, evaluateGate, renderMarkdownSummary, reportFromResults, type PollProgress,
} from '../../../shared/checker';
import { createHttpClient, type ClosableHttpClient } from '../../../shared/http';
import { writeCheckerSolution, type CheckerFixture } from './solutionZip';

const ACCOUNT_SCRIPT = [
  '"use strict";',
  'function onLoad(executionContext) {',
  '  var name = Xrm.Page.getAttribute("name");',
  '  var el = document.getElementById("header");',
  '  var result = eval("1 + 1");',
  '  // TODO remove the temporary fallback',
  '  window.parent.postMessage(name, "*");',
  '  fetch("http://example.com/api");',
  '}',
].join('\n');

const FIXTURE: CheckerFixture = {
  uniqueName: 'ContosoChecks',
  webResources: [
    { name: 'new_/scripts/account.js', content: ACCOUNT_SCRIPT },
    { name: 'new_/lib/jquery.min.js', content: 'var x = eval("2");\n' },
    { name: 'new_/clean.js', content: '"use strict";\nfunction ok(ctx) { return ctx.getFormContext(); }\n' },
  ],
  assemblies: [{ name: 'Contoso.Plugins', content: 'MZ\0\0Microsoft.Xrm.Sdk.Messages\0ExecuteMultipleRequest\0' }],
  flows: [
    { name: 'Sync accounts', id: 'aaaaaaaa-0000-4000-8000-000000000001', connectionReferences: ['new_sharedsharepoint', 'new_missing'] },
    { name: 'Old flow', id: 'aaaaaaaa-0000-4000-8000-000000000002', connectionReferences: ['new_sharedsharepoint'], active: false },
  ],
  connectionReferences: ['new_sharedsharepoint'],
};

interface Harness {
  emu: RunningEmulator;
  http: ClosableHttpClient;
  dir: string;
  solution: string;
  client(options?: { newCorrelationId?: () => string }): CheckerClient;
  close(): Promise<void>;
}

async function harness(seed?: Seed): Promise<Harness> {
  const emu = await startEmulator({ port: 0, seed, quiet: true });
  const http = createHttpClient({ productVersion: 'test', retry: { maxAttempts: 1 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checker-flow-'));
  const solution = path.join(dir, 'ContosoChecks_1_0_0_0.zip');
  await writeCheckerSolution(solution, FIXTURE);
  const tokenProvider = createTokenProvider({
    kind: 'clientSecret', authorityHost: emu.info.authorityHost, tenantId: emu.info.tenantId,
    clientId: emu.info.clientId, clientSecret: emu.info.clientSecret ?? '',
  }, { http });
  return {
    emu, http, dir, solution,
    client: (options = {}) => new CheckerClient({ checkerUrl: emu.info.checkerUrl, tenantId: emu.info.tenantId, tokenProvider, http, ...options }),
    close: async () => {
      http.close();
      await emu.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const FAST = { pollIntervalMs: 5, maxPollIntervalMs: 10, maxWaitMs: 30_000 };

describe('checker emulator: full flow with shared/checker', () => {
  let h: Harness;
  beforeEach(async () => { h = await harness(); });
  afterEach(async () => { await h.close(); });

  it('uploads, analyzes, polls, downloads and gates a crafted solution (Solution Checker)', async () => {
    const progress: PollProgress[] = [];
    const run = await h.client().run({ files: [h.solution], ruleset: 'Solution Checker', fileExclusions: ['*jquery*'], ...FAST, onProgress: (p) => progress.push(p) });

    assert.equal(run.status, 'Finished');
    assert.equal(run.ruleset?.id, '0ad12346-e108-40b8-a956-9a8f95ea18c9');
    assert.deepEqual(progress.map((p) => p.status), ['InProgress', 'InProgress', 'Finished']);
    assert.deepEqual(progress.map((p) => p.progress), [33, 66, 100]);
    assert.equal(run.results.length, 1);
    assert.match(run.results[0].uri, /sig=\*\*\*/, 'the SAS signature is redacted in what may be logged');
    assert.deepEqual(run.results[0].sarifFiles.map((f) => f.name), ['ContosoChecks_1_0_0_0.sarif']);

    const report = reportFromResults(run.results);
    assert.deepEqual(report.counts, { Critical: 1, High: 2, Medium: 3, Low: 1, Informational: 1 });
    assert.deepEqual(report.severitySources, { 'results[].properties.severity': 8 });
    assert.equal(compareWithIssueSummary(report.counts, run.issueSummary), undefined, 'issueSummary matches the SARIF');
    assert.deepEqual(run.issueSummary, { criticalIssueCount: 1, highIssueCount: 2, mediumIssueCount: 3, lowIssueCount: 1, informationalIssueCount: 1 });

    const byRule = Object.fromEntries(report.findings.map((f) => [f.ruleId, f]));
    assert.deepEqual(Object.keys(byRule).sort(), [
      'flow-avoid-invalid-reference', 'il-avoid-batch-plugin', 'meta-remove-inactive', 'web-avoid-dom-form', 'web-avoid-eval',
      'web-remove-todo-comments', 'web-sdl-no-postmessage-star-origin', 'web-use-client-context',
    ]);
    assert.equal(byRule['web-avoid-eval'].file, '/ContosoChecks_1_0_0_0/WebResources/new_/scripts/account.js');
    assert.equal(byRule['web-avoid-eval'].line, 5);
    assert.equal(byRule['web-avoid-eval'].column, 16);
    assert.equal(byRule['web-avoid-eval'].severity, 'High');
    assert.equal(byRule['web-use-client-context'].line, 3);
    assert.equal(byRule['web-avoid-dom-form'].line, 4);
    assert.match(byRule['flow-avoid-invalid-reference'].message, /new_missing/);

    const gate = evaluateGate(report.counts, { maxPerSeverity: { critical: 0, high: 0, medium: 10 } }, { status: run.status });
    assert.equal(gate.passed, false);
    assert.deepEqual(gate.breaches.map((b) => b.message), ['Critical: 1 found, at most 0 allowed', 'High: 2 found, at most 0 allowed']);
    const markdown = renderMarkdownSummary({ report, gate, title: 'ContosoChecks_1_0_0_0.zip' });
    assert.match(markdown, /\| Critical \| \*\*1\*\* \| 0 \|/);
    assert.match(markdown, /web-avoid-eval/);
  });

  it('sends one correlation id on upload, analyze and status, and a token only to the API (never to blob storage)', async () => {
    const run = await h.client().run({ files: [h.solution], ...FAST });
    const log = await (await fetch(`${h.emu.url}/_emulator/requests?path=/checker`)).json() as { path: string; method: string; headers: Record<string, string>; status: number }[];
    const api = log.filter((r) => /\/api\/(upload|analyze|status)/.test(r.path));
    assert.deepEqual(api.map((r) => `${r.method} ${r.path.replace(run.correlationId, '{id}')} ${r.status}`), [
      'POST /checker/api/upload 200',
      'POST /checker/api/analyze 202',
      'GET /checker/api/status/{id}&api-version=1.0 202',
      'GET /checker/api/status/{id}&api-version=1.0 202',
      'GET /checker/api/status/{id}&api-version=1.0 200',
    ]);
    for (const r of api) {
      assert.equal(r.headers['x-ms-correlation-id'], run.correlationId);
      assert.equal(r.headers['x-ms-tenant-id'], h.emu.info.tenantId);
    }
    const blobs = log.filter((r) => r.path.startsWith('/checker/blob/'));
    assert.equal(blobs.length, 1);
    assert.equal(blobs[0].headers.authorization, undefined);
    assert.equal(blobs[0].status, 200);
  });

  it('AppSource Certification adds its own rules; fileExclusions leave files out', async () => {
    const appSource = await h.client().run({ files: [h.solution], ruleset: 'AppSource Certification', ...FAST });
    const report = reportFromResults(appSource.results);
    assert.equal(report.counts.Low, 2, 'web-sdl-no-insecure-url is AppSource-only');
    assert.equal(report.counts.High, 3, 'without exclusions the jquery eval counts too');
    assert.ok(report.findings.some((f) => f.ruleId === 'web-sdl-no-insecure-url'));
  });

  it('analyzes several files in one run: one result zip each, one summary for all', async () => {
    const second = path.join(h.dir, 'Second & Co.zip');
    await writeCheckerSolution(second, {
      uniqueName: 'Second',
      webResources: [{ name: 'new_/second.js', content: 'debugger;\nconsole.log("x");\n' }],
      flows: [{ name: 'R&amp;D flow', id: 'bbbbbbbb-0000-4000-8000-000000000001', connectionReferences: [], active: false }],
    });
    const run = await h.client().run({ files: [h.solution, second], fileExclusions: ['*jquery*'], ...FAST });
    assert.deepEqual(run.results.map((r) => r.sarifFiles.map((f) => f.name)), [['ContosoChecks_1_0_0_0.sarif'], ['Second & Co.sarif']]);
    const report = reportFromResults(run.results);
    assert.deepEqual(report.counts, { Critical: 1, High: 2, Medium: 5, Low: 2, Informational: 1 });
    assert.equal(compareWithIssueSummary(report.counts, run.issueSummary), undefined);
    const inactive = report.findings.filter((f) => f.ruleId === 'meta-remove-inactive').map((f) => f.component);
    assert.deepEqual(inactive, ['Old flow', 'R&D flow'], 'XML entities in names are decoded');
  });

  it('ruleCodes restrict the analysis to those rules', async () => {
    const run = await h.client().run({ files: [h.solution], ruleCodes: ['web-avoid-eval'], ...FAST });
    const report = reportFromResults(run.results);
    assert.deepEqual(report.findings.map((f) => f.ruleId), ['web-avoid-eval', 'web-avoid-eval']);
    assert.equal(run.ruleset, undefined);
  });

  it('restarts once with a new correlation id when the service answers 409', async () => {
    const first = await h.client().run({ files: [h.solution], ...FAST });
    const ids = [first.correlationId, '99999999-9999-4999-8999-999999999999'];
    const second = await h.client({ newCorrelationId: () => ids.shift() ?? 'unexpected' }).run({ files: [h.solution], ...FAST });
    assert.equal(second.correlationId, '99999999-9999-4999-8999-999999999999');
    assert.equal(second.status, 'Finished');
  });

  it('a fault on the status path forces a Failed status for one run', async () => {
    await fetch(`${h.emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ path: '/checker/api/status/*', status: 200, body: { status: 'Failed', error: { code: 'Injected', message: 'forced by a fault' } } }),
    });
    const run = await h.client().run({ files: [h.solution], ...FAST });
    assert.deepEqual([run.status, run.error, run.results], ['Failed', 'Injected: forced by a fault', []]);
  });

  it('a reset forgets analyses', async () => {
    const run = await h.client().run({ files: [h.solution], ...FAST });
    const token = await bearer(h);
    const before = await fetch(`${h.emu.info.checkerUrl}/api/status/${run.correlationId}?api-version=1.0`, { headers: runHeaders(h, token, run.correlationId) });
    assert.equal(before.status, 200);
    await fetch(`${h.emu.url}/_emulator/reset`, { method: 'POST' });
    const after = await fetch(`${h.emu.info.checkerUrl}/api/status/${run.correlationId}?api-version=1.0`, { headers: runHeaders(h, token, run.correlationId) });
    assert.equal(after.status, 404);
  });
});

describe('checker emulator: forced outcomes (seed checker.outcome)', () => {
  it('Failed: 200 with status Failed and an error, no results; the gate fails on it', async () => {
    const h = await harness({ checker: { outcome: 'Failed', statusPolls: 0 } });
    try {
      const run = await h.client().run({ files: [h.solution], ...FAST });
      assert.equal(run.status, 'Failed');
      assert.match(run.error ?? '', /AnalysisFailed/);
      assert.deepEqual(run.results, []);
      const gate = evaluateGate(reportFromResults(run.results).counts, { maxPerSeverity: { high: 0 } }, { status: run.status, error: run.error });
      assert.equal(gate.passed, false);
      assert.match(gate.breaches[0].message, /ended with status 'Failed'/);
    } finally {
      await h.close();
    }
  });

  it('FinishedWithErrors: results without the failed rules, the SARIF says so, the summary still matches', async () => {
    const h = await harness({ checker: { outcome: 'FinishedWithErrors', statusPolls: 1 } });
    try {
      const run = await h.client().run({ files: [h.solution], fileExclusions: ['*jquery*'], ...FAST });
      assert.equal(run.status, 'FinishedWithErrors');
      const report = reportFromResults(run.results);
      assert.equal(report.counts.Medium, 2, 'the plug-in rule failed, so its finding is missing');
      assert.equal(compareWithIssueSummary(report.counts, run.issueSummary), undefined);
      assert.equal(report.executionFailures.length, 1);
      assert.match(report.executionFailures[0], /il-avoid-parallel-plugin/);
      const strict = evaluateGate(report.counts, {}, { status: run.status });
      assert.equal(strict.passed, false);
      const lenient = evaluateGate(report.counts, { failOnAnalysisErrors: false }, { status: run.status });
      assert.equal(lenient.passed, true);
      assert.match(lenient.warnings[0], /finished with errors/);
    } finally {
      await h.close();
    }
  });
});

async function bearer(h: Harness, clientId = h.emu.info.clientId, secret = h.emu.info.clientSecret ?? ''): Promise<string> {
  const res = await fetch(`${h.emu.info.authorityHost}/${h.emu.info.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: secret, grant_type: 'client_credentials', scope: 'https://api.advisor.powerapps.com/.default' }).toString(),
  });
  const body = await res.json() as { access_token: string };
  return body.access_token;
}

function runHeaders(h: Harness, token: string, correlationId: string): Record<string, string> {
  return { Authorization: `Bearer ${token}`, 'x-ms-tenant-id': h.emu.info.tenantId, 'x-ms-correlation-id': correlationId };
}

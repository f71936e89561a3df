/**
 * checkSolution against the real emulator's checker: crafted solutions with known findings, both threshold forms,
 * SARIF files in the output folder, the run summary, and analyses that end Failed / FinishedWithErrors.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../../emulator';
import { createTokenProvider } from '../../../../shared/auth';
import { CheckerClient, parseErrorLevel, parseSarif, parseThresholds } from '../../../../shared/checker';
import { createHttpClient, type ClosableHttpClient } from '../../../../shared/http';
import { checkSolution, type CheckSolutionOptions } from '../../../../shared/operations/checkSolution';
import { createRecordingReporter } from '../../../../shared/operations/reporter';
import { writeCheckerSolution } from '../../../emulator/checker/solutionZip';

/** Critical 1 (postMessage '*'), High 1 (eval), Medium 2 (Xrm.Page, alert), Informational 1 (TODO). */
const RISKY_SCRIPT = [
  'function onLoad(ctx) {',
  '  var name = Xrm.Page.getAttribute("name");',
  '  var x = eval("1 + 1");',
  '  alert(x);',
  '  // TODO tidy up',
  '  window.parent.postMessage(name, "*");',
  '}',
].join('\n');
const RISKY_COUNTS = { Critical: 1, High: 1, Medium: 2, Low: 0, Informational: 1 };

async function control(emu: RunningEmulator, method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emu.url}/_emulator/${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

describe('operations: checkSolution (against the emulator)', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let http: ClosableHttpClient;
  let checker: CheckerClient;
  let dir: string;
  let risky: string;
  let clean: string;

  before(async () => {
    emu = await startEmulator({ port: 0, quiet: true });
    http = createHttpClient({ productVersion: 'test', retry: { maxAttempts: 1 } });
    const tokenProvider = createTokenProvider({
      kind: 'clientSecret', authorityHost: emu.info.authorityHost, tenantId: emu.info.tenantId,
      clientId: emu.info.clientId, clientSecret: emu.info.clientSecret ?? '',
    }, { http });
    checker = new CheckerClient({ checkerUrl: emu.info.checkerUrl, tenantId: emu.info.tenantId, tokenProvider, http });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-op-'));
    risky = path.join(dir, 'Risky_1_0_0_0.zip');
    clean = path.join(dir, 'Clean_1_0_0_0.zip');
    await writeCheckerSolution(risky, { uniqueName: 'Risky', webResources: [{ name: 'new_/risky.js', content: RISKY_SCRIPT }] });
    await writeCheckerSolution(clean, { uniqueName: 'Clean', webResources: [{ name: 'new_/clean.js', content: 'function ok(ctx) { return ctx.getFormContext(); }\n' }] });
  });
  beforeEach(() => control(emu, 'POST', 'reset'));
  after(async () => {
    http.close();
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let run = 0;
  function options(overrides: Partial<CheckSolutionOptions> = {}): CheckSolutionOptions {
    run++;
    return { files: [risky, clean], outputFolder: path.join(dir, `sarif-${run}`), gate: {}, pollIntervalMs: 5, maxPollIntervalMs: 10, ...overrides };
  }

  it('analyzes two zips in one run, writes one SARIF file per zip and passes a gate the findings stay within', async () => {
    const reporter = createRecordingReporter();
    const opts = options({ gate: { maxPerSeverity: parseThresholds('critical=1, high=1, medium=5') } });
    const result = await checkSolution(opts, { checker }, reporter);

    assert.equal(result.passed, true);
    assert.equal(result.message, 'Solution checker gate passed.');
    assert.deepEqual(result.counts, RISKY_COUNTS);
    assert.equal(result.totalFindings, 5);
    assert.equal(result.analysisStatus, 'Finished');
    assert.equal(result.ruleset, 'Solution Checker');
    assert.match(result.correlationId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(fs.readdirSync(opts.outputFolder).sort(), ['Clean_1_0_0_0.sarif', 'Risky_1_0_0_0.sarif']);
    assert.deepEqual(result.sarifFiles.map((f) => path.basename(f)).sort(), ['Clean_1_0_0_0.sarif', 'Risky_1_0_0_0.sarif']);
    assert.deepEqual(parseSarif(fs.readFileSync(path.join(opts.outputFolder, 'Risky_1_0_0_0.sarif'))).counts, RISKY_COUNTS);

    assert.equal(reporter.summaries.length, 1);
    const { title, markdown } = reporter.summaries[0];
    assert.equal(title, 'Solution checker');
    assert.match(markdown, /### Solution checker: Risky\\_1\\_0\\_0\\_0\.zip, Clean\\_1\\_0\\_0\\_0\.zip/);
    assert.match(markdown, /\*\*Result: passed\*\*/);
    assert.match(markdown, /\| Critical \| 1 \| 1 \|/);
    assert.ok(reporter.lines.includes('Findings: Critical 1, High 1, Medium 2, Low 0, Informational 1.'), reporter.lines.join('\n'));
    assert.equal(reporter.progressUpdates.at(-1)?.percent, 100);
  });

  it('fails the gate with per-severity limits and with a Build Tools error level, naming each breach', async () => {
    const perSeverity = await checkSolution(options({ files: [risky], gate: { maxPerSeverity: parseThresholds('critical=0\nhigh: 0') } }), { checker }, createRecordingReporter());
    assert.equal(perSeverity.passed, false);
    assert.deepEqual(perSeverity.breaches.map((b) => [b.severity, b.found, b.allowed, b.source]), [['Critical', 1, 0, 'maxPerSeverity'], ['High', 1, 0, 'maxPerSeverity']]);
    assert.equal(perSeverity.message, 'Solution checker gate failed: Critical: 1 found, at most 0 allowed; High: 1 found, at most 0 allowed.');

    const reporter = createRecordingReporter();
    const level = await checkSolution(options({ files: [risky], gate: { atOrAbove: { level: parseErrorLevel('MediumIssueCount'), threshold: 1 } } }), { checker }, reporter);
    assert.equal(level.passed, false);
    assert.deepEqual(level.breaches.map((b) => [b.severity, b.source]), [['Medium', 'atOrAbove']]);
    assert.match(reporter.summaries[0].markdown, /\*\*Result: failed\*\*/);
    assert.match(reporter.summaries[0].markdown, /❌ Medium: 2 found, at most 1 allowed/);
    assert.equal(level.sarifFiles.length, 1, 'the SARIF is written even when the gate fails');
  });

  it('a Failed analysis fails the gate by default, and only warns when failOnAnalysisErrors is false', async () => {
    const failedStatus = { path: '/checker/api/status/*', status: 200, body: { status: 'Failed', error: { code: 'AnalysisError', message: 'The file could not be processed.' } } };

    await control(emu, 'POST', 'faults', failedStatus);
    const strict = await checkSolution(options({ files: [risky] }), { checker }, createRecordingReporter());
    assert.equal(strict.passed, false);
    assert.equal(strict.analysisStatus, 'Failed');
    assert.deepEqual(strict.breaches.map((b) => b.source), ['analysisStatus']);
    assert.match(strict.message, /ended with status 'Failed'.*could not be processed/);
    assert.deepEqual(strict.sarifFiles, []);

    await control(emu, 'POST', 'faults', failedStatus);
    const reporter = createRecordingReporter();
    const lenient = await checkSolution(options({ files: [risky], gate: { failOnAnalysisErrors: false } }), { checker }, reporter);
    assert.equal(lenient.passed, true);
    assert.equal(lenient.breaches.length, 0);
    assert.ok(lenient.warnings.some((w) => /ended with status 'Failed'/.test(w)));
    assert.ok(reporter.lines.some((l) => /^warning: The checker returned no SARIF file/.test(l)));
    assert.match(reporter.summaries[0].markdown, /⚠️ The checker analysis ended with status 'Failed'/);
  });

  it('FinishedWithErrors (rules that could not run) is a breach unless allowed', async () => {
    await emu.stop();
    emu = await startEmulator({ port: 0, quiet: true, seed: { checker: { statusPolls: 1, outcome: 'FinishedWithErrors' } } });
    const tokenProvider = createTokenProvider({
      kind: 'clientSecret', authorityHost: emu.info.authorityHost, tenantId: emu.info.tenantId,
      clientId: emu.info.clientId, clientSecret: emu.info.clientSecret ?? '',
    }, { http });
    checker = new CheckerClient({ checkerUrl: emu.info.checkerUrl, tenantId: emu.info.tenantId, tokenProvider, http });

    const strict = await checkSolution(options({ files: [risky] }), { checker }, createRecordingReporter());
    assert.equal(strict.analysisStatus, 'FinishedWithErrors');
    assert.equal(strict.passed, false);
    assert.match(strict.message, /finished with errors/);
    const lenient = await checkSolution(options({ files: [risky], gate: { failOnAnalysisErrors: false } }), { checker }, createRecordingReporter());
    assert.equal(lenient.passed, true);
    assert.ok(lenient.warnings.some((w) => /finished with errors/.test(w)));
  });

  it('refuses bad thresholds and missing files before anything is uploaded', async () => {
    await control(emu, 'DELETE', 'requests');
    await assert.rejects(checkSolution(options({ gate: { maxPerSeverity: { high: -1 } } }), { checker }, createRecordingReporter()),
      /The threshold for high must be a whole number/);
    await assert.rejects(checkSolution(options({ files: [] }), { checker }, createRecordingReporter()), /No solution file was given/);
    await assert.rejects(checkSolution(options({ files: [path.join(dir, 'missing.zip')] }), { checker }, createRecordingReporter()),
      /Cannot read the solution file '.*missing\.zip' for the checker/);
    const requests = await control(emu, 'GET', 'requests?path=/checker/api/upload') as unknown[];
    assert.deepEqual(requests, []);
  });
});

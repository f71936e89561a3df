/**
 * exportSolution against the real emulator: export (unmanaged, managed, both), unpack into a source folder,
 * re-export unchanged → no file changes, a maker's edit → only that file changes, settings template, errors.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../../emulator';
import { createTokenProvider } from '../../../../shared/auth';
import { AsyncOperationNotFinishedError, DataverseClient, waitForAsyncOperation } from '../../../../shared/dataverse';
import { createHttpClient, type ClosableHttpClient } from '../../../../shared/http';
import { exportSolution, type ExportSolutionOptions } from '../../../../shared/operations/exportSolution';
import { createRecordingReporter } from '../../../../shared/operations/reporter';
import { readDeploymentSettingsFile, readSolutionZip } from '../../../../shared/solution';
import { writeSolutionZip } from '../../../emulator/fixtures/solutionZip';
import { writeSampleSolutionZip, type SampleSolution } from '../../../fixtures/solution/sample-solution';

const POLL = { pollIntervalMs: 5, maxPollIntervalMs: 20 };

/** Every file under `dir` (relative path → content), for comparing trees. */
function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else files.set(rel, fs.readFileSync(path.join(dir, rel)));
    }
  };
  walk('');
  return files;
}

function changedFiles(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => !before.get(n)?.equals(after.get(n) ?? Buffer.alloc(0)) || !after.has(n)).sort();
}

async function makerEdit(emu: RunningEmulator, env: string, solution: string, edit: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emu.url}/_emulator/dataverse/${env}/solutions/${solution}`, { method: 'POST', body: JSON.stringify(edit) });
  assert.equal(res.status, 200, await res.text());
}

describe('operations: exportSolution (against the emulator)', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let http: ClosableHttpClient;
  let client: DataverseClient;
  let dir: string;
  let sample: SampleSolution;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-op-'));
    const seedZip = path.join(dir, 'seed', 'Contoso_1_2_0_0.zip');
    fs.mkdirSync(path.dirname(seedZip));
    sample = await writeSampleSolutionZip(seedZip, { uniqueName: 'ContosoSales', version: '1.2.0.0' });
    const lockedZip = path.join(dir, 'seed', 'Locked_1_0_0_0_managed.zip');
    await writeSolutionZip({ uniqueName: 'Locked', version: '1.0.0.0', managed: true, entities: ['lck_Thing'] }, lockedZip);
    emu = await startEmulator({
      port: 0, quiet: true, seed: { environments: [{ name: 'dev', timeScale: 0.001, solutions: [{ zip: seedZip }, { zip: lockedZip }] }] },
    });
    http = createHttpClient({ productVersion: 'test', retry: { baseDelayMs: 1, maxDelayMs: 5, lockMinDelayMs: 5, lockMaxDelayMs: 20 } });
    const tokenProvider = createTokenProvider({
      kind: 'clientSecret', authorityHost: emu.info.authorityHost, tenantId: emu.info.tenantId,
      clientId: emu.info.clientId, clientSecret: emu.info.clientSecret ?? '',
    }, { http });
    client = new DataverseClient({ environmentUrl: emu.info.environments.dev, tokenProvider, http });
  });
  after(async () => {
    http.close();
    await emu.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let run = 0;
  function options(overrides: Partial<ExportSolutionOptions> = {}): ExportSolutionOptions {
    run++;
    return { solutionName: 'ContosoSales', packageType: 'both', outputFolder: path.join(dir, `out-${run}`), poll: POLL, ...overrides };
  }

  it('exports both packages with versioned names, unpacks (Managed 2, _managed twins) and writes a settings template', async () => {
    const reporter = createRecordingReporter();
    const source = path.join(dir, 'src-first');
    const settingsFile = path.join(source, 'deploymentSettings.json');
    const result = await exportSolution(options({ unpackFolder: source, settingsFile, publishBeforeExport: true }), { client }, reporter);

    assert.equal(result.solutionName, 'ContosoSales');
    assert.equal(result.solutionVersion, '1.2.0.0');
    assert.equal(result.published, true);
    assert.deepEqual(result.files.map((f) => [path.basename(f.file), f.managed]),
      [['ContosoSales_1_2_0_0.zip', false], ['ContosoSales_1_2_0_0_managed.zip', true]]);
    for (const f of result.files) assert.equal(fs.statSync(f.file).size, f.bytes);
    assert.equal(result.totalBytes, result.files[0].bytes + result.files[1].bytes);
    assert.deepEqual(fs.readdirSync(path.dirname(result.files[0].file)).sort(), ['ContosoSales_1_2_0_0.zip', 'ContosoSales_1_2_0_0_managed.zip'],
      'no temporary or partial file is left next to the zips');
    assert.equal((await readSolutionZip(result.managedSolutionFile as string)).manifest.managed, 1);
    assert.equal((await readSolutionZip(result.unmanagedSolutionFile as string)).manifest.managed, 0);

    const unpack = result.unpack;
    assert.ok(unpack);
    assert.equal(unpack.removed.length, 0);
    assert.equal(unpack.changed.length, 0);
    assert.equal(unpack.added.length, unpack.files);
    const solutionXml = fs.readFileSync(path.join(source, 'Other', 'Solution.xml'), 'utf8');
    assert.match(solutionXml, /<Managed>2<\/Managed>/);
    assert.ok(unpack.added.some((f) => /_managed\.xml$/.test(f)), `managed twins expected among ${unpack.added.join(', ')}`);

    const settings = await readDeploymentSettingsFile(settingsFile);
    assert.deepEqual(settings.connectionReferences.map((c) => c.logicalName), sample.connectionReferences);
    assert.deepEqual(settings.environmentVariables.map((e) => e.schemaName), sample.environmentVariables);

    assert.ok(reporter.lines.includes('[group] Publish all customizations'));
    assert.ok(reporter.lines.includes('[group] Export managed'));
    assert.ok(reporter.lines.some((l) => /^ContosoSales_1_2_0_0_managed\.zip: \d/.test(l)));
    assert.equal(reporter.progressUpdates.at(-1)?.percent, 100);
  });

  it('re-export of an unchanged solution changes no file; a maker\'s version bump changes only Solution.xml', async () => {
    const source = path.join(dir, 'src-roundtrip');
    const settingsFile = path.join(source, 'deploymentSettings.json');
    await exportSolution(options({ unpackFolder: source, settingsFile }), { client }, createRecordingReporter());
    // A release engineer fills in the settings: regenerating must keep the values.
    const filled = fs.readFileSync(settingsFile, 'utf8').replace('"Value": ""', '"Value": "https://api.contoso.com"');
    fs.writeFileSync(settingsFile, filled);
    const first = readTree(source);

    const reporter = createRecordingReporter();
    const again = await exportSolution(options({ unpackFolder: source, settingsFile }), { client }, reporter);
    assert.deepEqual(changedFiles(first, readTree(source)), []);
    assert.deepEqual({ added: again.unpack?.added, changed: again.unpack?.changed, removed: again.unpack?.removed }, { added: [], changed: [], removed: [] });
    assert.ok(reporter.lines.some((l) => /^No file changed \(\d+ files identical/.test(l)), reporter.lines.join('\n'));
    assert.ok(reporter.lines.some((l) => /^Unchanged: .*1 filled-in value\(s\) kept/.test(l)), reporter.lines.join('\n'));

    await makerEdit(emu, 'dev', 'ContosoSales', { version: '1.3.0.0' });
    const bumped = await exportSolution(options({ unpackFolder: source, settingsFile }), { client }, createRecordingReporter());
    assert.equal(bumped.solutionVersion, '1.3.0.0');
    assert.equal(path.basename(bumped.managedSolutionFile ?? ''), 'ContosoSales_1_3_0_0_managed.zip');
    assert.deepEqual(changedFiles(first, readTree(source)), ['Other/Solution.xml']);
    assert.deepEqual(bumped.unpack?.changed, ['Other/Solution.xml']);
    assert.match(fs.readFileSync(path.join(source, 'Other', 'Solution.xml'), 'utf8'), /<Version>1\.3\.0\.0<\/Version>/);
  });

  it('a component the maker removed disappears from the source folder (and nothing outside the tree is touched)', async () => {
    const source = path.join(dir, 'src-remove');
    fs.mkdirSync(source, { recursive: true });
    fs.writeFileSync(path.join(source, 'README.md'), 'kept');
    await exportSolution(options({ unpackFolder: source, packageType: 'unmanaged' }), { client }, createRecordingReporter());
    const webResources = fs.readdirSync(path.join(source, 'WebResources'), { recursive: true }).map(String);
    assert.ok(webResources.length > 0);
    const before = readTree(source);

    const contents = await readSolutionZip((await exportSolution(options({ packageType: 'unmanaged' }), { client }, createRecordingReporter())).unmanagedSolutionFile as string);
    const [webResource] = contents.webResources;
    await makerEdit(emu, 'dev', 'ContosoSales', { removeComponents: [{ type: 61, schemaName: webResource }] });
    const result = await exportSolution(options({ unpackFolder: source, packageType: 'unmanaged' }), { client }, createRecordingReporter());

    const after = readTree(source);
    const removed = result.unpack?.removed ?? [];
    assert.deepEqual(removed.sort(), [`WebResources/${webResource}`, `WebResources/${webResource}.data.xml`]);
    assert.deepEqual(result.unpack?.added, [], 'the emulator exports no file of the removed web resource');
    const changed = changedFiles(before, after);
    assert.ok(changed.every((f) => f.startsWith('WebResources/') || f.startsWith('Other/')), changed.join(', '));
    assert.deepEqual([...result.unpack?.added ?? [], ...result.unpack?.changed ?? [], ...removed].sort(), changed);
    assert.equal(fs.readFileSync(path.join(source, 'README.md'), 'utf8'), 'kept');
  });

  it('names similar solutions when the solution is not found, before writing anything', async () => {
    const opts = options({ solutionName: 'ContosoSale' });
    await assert.rejects(exportSolution(opts, { client }, createRecordingReporter()), (err: Error) => {
      assert.equal(err.name, 'UserError');
      assert.match(err.message, /Solution 'ContosoSale' was not found in http:\/\/127\.0\.0\.1:\d+\/env\/dev\. Similar unmanaged solutions there: ContosoSales/);
      assert.match(err.message, /unique name/);
      return true;
    });
    assert.equal(fs.existsSync(opts.outputFolder), false);
  });

  it('refuses a managed solution, saying where to export from', async () => {
    await assert.rejects(exportSolution(options({ solutionName: 'locked' }), { client }, createRecordingReporter()),
      /Solution 'Locked' 1\.0\.0\.0 is managed in http:\/\/127\.0\.0\.1:\d+\/env\/dev; a managed solution cannot be exported\. Export from the development environment/);
  });

  it('refuses an unexpanded pipeline variable and an unpack folder inside the output folder', async () => {
    await assert.rejects(exportSolution(options({ outputFolder: '$(Build.ArtifactStagingDirectory)' }), { client }, createRecordingReporter()),
      /Input 'outputFolder' .* \$\(Build\.ArtifactStagingDirectory\), which was not expanded/);
    const out = path.join(dir, 'nested');
    await assert.rejects(exportSolution(options({ outputFolder: out, unpackFolder: path.join(out, 'src') }), { client }, createRecordingReporter()),
      /unpack folder .* is inside the output folder/);
  });

  it('when cancelled during the export, says the server job keeps running and leaves no partial zip', async () => {
    const controller = new AbortController();
    const reporter = createRecordingReporter(controller.signal);
    const record = reporter.progress;
    reporter.progress = (percent, text) => {
      record(percent, text);
      if (/^managed export of ContosoSales/.test(text)) controller.abort();
    };
    const opts = options({ packageType: 'managed' });
    let jobId = '';
    await assert.rejects(exportSolution(opts, { client }, reporter), (err: Error) => {
      assert.ok(err instanceof AsyncOperationNotFinishedError);
      jobId = err.asyncOperationId;
      assert.match(err.message, /The managed export of ContosoSales [\d.]+ was still running when the task was cancelled\. The server may still be working on it/);
      return true;
    });
    const left = fs.existsSync(opts.outputFolder) ? fs.readdirSync(opts.outputFolder) : [];
    assert.deepEqual(left, []);
    // The server job was not stopped: it still finishes (and must, before the emulator is stopped).
    assert.equal((await waitForAsyncOperation(client, jobId, POLL)).statecode, 3);
  });
});

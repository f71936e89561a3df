import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../shared/core';
import { packSolution, resolveVersion, type PackSolutionOptions } from '../../../shared/operations/packSolution';
import { createRecordingReporter } from '../../../shared/operations/reporter';
import { writeMapFile, writeSolutionFolder } from '../../tasks/solutionFolders';

async function rejectsUserError(promise: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(err.message.includes(f), `'${err.message}' should contain '${f}'`);
      else assert.match(err.message, f);
    }
    return true;
  });
}

describe('operations packSolution', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-op-pack-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const options = (sourceFolder: string, extra: Partial<PackSolutionOptions> = {}): PackSolutionOptions => ({
    sourceFolder, packageType: 'both', outputFolder: path.join(dir, 'out'), updateSourceVersion: false, ...extra,
  });

  describe('resolveVersion', () => {
    const manifest = '/src/Other/Solution.xml';
    it('keeps the source version when empty, takes a full version, and applies * patterns', () => {
      assert.equal(resolveVersion('1.2.3.4', undefined, manifest), '1.2.3.4');
      assert.equal(resolveVersion('1.2.3.4', '  ', manifest), '1.2.3.4');
      assert.equal(resolveVersion('1.2.3.4', '1.3.0.0', manifest), '1.3.0.0');
      assert.equal(resolveVersion('1.2.3.4', '*.*.900.0', manifest), '1.2.900.0');
      assert.equal(resolveVersion('1.2.3.4', '*.*.*.*', manifest), '1.2.3.4');
    });

    it('refuses a lower version unless the pattern keeps major and minor', () => {
      assert.equal(resolveVersion('1.2.500.0', '*.*.12.0', manifest), '1.2.12.0', 'a restarting build number is fine');
      assert.throws(() => resolveVersion('1.2.3.4', '1.1.0.0', manifest), (err: unknown) =>
        err instanceof UserError && /Version 1\.1\.0\.0 .* is lower than the source version 1\.2\.3\.4 in \/src\/Other\/Solution\.xml/.test(err.message)
        && err.message.includes('*.*.$(Build.BuildId).0'));
      assert.throws(() => resolveVersion('2.2.3.4', '1.*.*.*', manifest), /lower than the source version/);
    });

    it('says which part of an invalid version or pattern is wrong', () => {
      assert.throws(() => resolveVersion('1.2.3.4', '1.x.0.0', manifest), /part 2 \(minor\) 'x'/);
      assert.throws(() => resolveVersion('1.2.3.4', '*.*.$(Build.BuildId).0', manifest), /holds the pipeline variable \$\(Build\.BuildId\), which was not expanded/);
      assert.throws(() => resolveVersion('1.2.3.4', '*.x.1.0', manifest), /part 2 \(minor\) 'x'/);
      assert.throws(() => resolveVersion('1.2.3.4', '1.2.3.4.5', manifest), /5 part\(s\)/);
    });

    it('refuses a pattern with fewer or more parts than the source version instead of dropping parts', () => {
      assert.throws(() => resolveVersion('1.2.3.4', '*.*', manifest), (err: unknown) => err instanceof UserError
        && /^Input 'version' '\*\.\*' has 2 parts but the source version '1\.2\.3\.4' has 4/.test(err.message)
        && err.message.includes("'*.*.*.*' or '*.*.$(Build.BuildId).0'"));
      assert.throws(() => resolveVersion('0.0.0.0', '1.2.*', manifest), /Input 'version' '1\.2\.\*' has 3 parts but the source version '0\.0\.0\.0' has 4/);
      assert.equal(resolveVersion('1.2.3.4', '1.3', manifest), '1.3', 'a full version keeps its own part count');
    });
  });

  it('packs deterministically: two runs give byte-identical zips', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat' });
    const first = await packSolution(options(solution.folder, { outputFolder: path.join(dir, 'a') }), createRecordingReporter());
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a new second on the clock must not matter
    const second = await packSolution(options(solution.folder, { outputFolder: path.join(dir, 'b') }), createRecordingReporter());
    for (const key of ['unmanagedSolutionFile', 'managedSolutionFile'] as const) {
      assert.ok(fs.readFileSync(first[key] ?? '').equals(fs.readFileSync(second[key] ?? '')), `${key} identical`);
    }
  });

  it('reports layout, counts, version and sizes, and returns the result', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'project', version: '1.0.0.0' });
    const reporter = createRecordingReporter();
    const result = await packSolution(options(solution.folder, { version: '1.0.7.0', packageType: 'unmanaged' }), reporter);
    assert.deepEqual({ ...result, unmanagedSolutionFile: path.basename(result.unmanagedSolutionFile ?? '') }, {
      solutionName: 'Contoso', solutionVersion: '1.0.7.0', sourceVersion: '1.0.0.0', layout: 'project',
      unmanagedSolutionFile: 'Contoso_1_0_7_0.zip', managedSolutionFile: undefined,
      componentCounts: { WebResource: 2 }, sourceVersionUpdated: false,
    });
    assert.ok(reporter.lines.includes('[group] Inspect the solution folder'));
    assert.ok(reporter.lines.includes('Root components: WebResource 2.'));
    assert.ok(reporter.lines.includes("Version: 1.0.7.0 (Solution.xml has 1.0.0.0; input '1.0.7.0')."));
    assert.ok(reporter.lines.some((l) => /^Contoso_1_0_7_0\.zip: \d+(\.\d)? (B|KiB)\.$/.test(l)), reporter.lines.join('\n'));
    assert.deepEqual(reporter.progressUpdates.map((p) => p.percent), [10, 90, 100]);
  });

  it('writes the new version into the source Solution.xml only when asked, changing nothing else', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat', version: '1.2.0.0' });
    const before = fs.readFileSync(solution.manifestPath, 'utf8');
    await packSolution(options(solution.folder, { version: '*.*.42.0' }), createRecordingReporter());
    assert.equal(fs.readFileSync(solution.manifestPath, 'utf8'), before);
    const result = await packSolution(options(solution.folder, { version: '*.*.42.0', updateSourceVersion: true }), createRecordingReporter());
    assert.equal(result.sourceVersionUpdated, true);
    assert.equal(fs.readFileSync(solution.manifestPath, 'utf8'), before.replace('<Version>1.2.0.0</Version>', '<Version>1.2.42.0</Version>'));
  });

  it('uses a map file for content kept outside the tree', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'project', omitWebResourceContent: true });
    const mapFile = writeMapFile(solution, path.join(dir, 'build'));
    const result = await packSolution(options(solution.folder, { mapFile }), createRecordingReporter());
    assert.ok(result.managedSolutionFile && fs.existsSync(result.managedSolutionFile));
  });

  it('validates before writing: missing content, missing or malformed Solution.xml, unexpanded output folder', async () => {
    const missing = writeSolutionFolder(path.join(dir, 'm'), { layout: 'flat', omitWebResourceContent: true });
    await rejectsUserError(packSolution(options(missing.folder), createRecordingReporter()),
      '2 file(s) referenced by the solution are missing', 'WebResources/con_/scripts/main.js', 'WebResources/con_/styles/site.css');
    assert.ok(!fs.existsSync(path.join(dir, 'out')), 'nothing written');

    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await rejectsUserError(packSolution(options(empty), createRecordingReporter()), 'no Other/Solution.xml');

    const broken = writeSolutionFolder(path.join(dir, 'b'), { layout: 'flat' });
    fs.writeFileSync(broken.manifestPath, '<?xml version="1.0"?>\n<ImportExportXml>\n  <SolutionManifest>\n    <UniqueName>X</Unique>\n');
    await rejectsUserError(packSolution(options(broken.folder), createRecordingReporter()), /Solution\.xml/, /line \d+/i);

    const ok = writeSolutionFolder(path.join(dir, 'o'), { layout: 'flat' });
    await rejectsUserError(packSolution(options(ok.folder, { outputFolder: '/agent/$(Build.ArtifactStagingDirectory)' }), createRecordingReporter()),
      'unexpanded pipeline variable');
  });

  it('refuses an output folder that is a file, or lies under one, before writing anything', async () => {
    const solution = writeSolutionFolder(path.join(dir, 'src'), { layout: 'flat' });
    const manifestBefore = fs.readFileSync(solution.manifestPath, 'utf8');
    const file = path.join(dir, 'artifact.txt');
    fs.writeFileSync(file, 'not a folder');
    const run = (outputFolder: string) => packSolution(options(solution.folder, { outputFolder, version: '*.*.42.0', updateSourceVersion: true }), createRecordingReporter());
    await rejectsUserError(run(file), `Input 'outputFolder' (${file}) is a file, not a folder.`, "Set 'outputFolder' to a folder");
    await rejectsUserError(run(path.join(file, 'drop')), `'${file}' is a file, not a folder.`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a folder');
    assert.equal(fs.readFileSync(solution.manifestPath, 'utf8'), manifestBefore);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['artifact.txt', 'src']);
  });
});

describe('operations packSolution cancellation', () => {
  it('stops before writing anything when the task is already cancelled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-op-cancel-'));
    try {
      const solution = writeSolutionFolder(dir, { layout: 'flat' });
      const controller = new AbortController();
      controller.abort(new UserError('The task was cancelled (SIGTERM).'));
      await assert.rejects(
        packSolution({ sourceFolder: solution.folder, packageType: 'both', outputFolder: path.join(dir, 'out'), updateSourceVersion: false },
          createRecordingReporter(controller.signal)),
        /cancelled \(SIGTERM\)/);
      assert.ok(!fs.existsSync(path.join(dir, 'out')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

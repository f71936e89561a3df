import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { createTokenProvider } from '../../shared/auth';
import { DataverseClient } from '../../shared/dataverse';
import { createHttpClient, type ClosableHttpClient } from '../../shared/http';
import { corpusDir } from '../helpers/paths';
import { bundleToTemp, inputEnv, productTask, runBundledTask, type BundledTask, type TaskRun } from '../fixtures/task-fixture/harness';
import { writeSampleSolutionFolder, type SampleSolution } from '../fixtures/solution/sample-solution';
import { tempDir, zipDifferences } from '../fixtures/solution/tree-compare';

const LAYOUTS = ['flat', 'project'] as const;
const PLUGIN_ASSEMBLY = 'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll';

/** DataversePackSolution@1 bundled and run as the agent runs it, on generated folders of both layouts. */
describe('e2e: DataversePackSolution (bundled task)', function () {
  this.timeout(60_000);
  let bundle: BundledTask;
  let work: string;

  before(async () => {
    const task = productTask('pack-version');
    bundle = await bundleToTemp(task.entry, task.taskJson);
  });
  after(() => bundle?.remove());
  beforeEach(() => { work = tempDir('dvalm-e2e-pack-'); });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  function sample(layout: 'flat' | 'project', version = '1.2.3.4', name: string = layout): SampleSolution {
    return writeSampleSolutionFolder(path.join(work, name), { layout, version });
  }

  function pack(inputs: Record<string, string>): Promise<TaskRun> {
    return runBundledTask(bundle.indexJs, { SYSTEM_DEBUG: 'true', ...inputEnv(inputs) });
  }

  function assertFailed(run: TaskRun, ...fragments: (string | RegExp)[]): void {
    assert.equal(run.result, 'Failed', run.stdout);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(run.resultMessage?.includes(f), `'${run.resultMessage}' should contain '${f}'`);
      else assert.match(run.resultMessage ?? '', f);
    }
    assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
  }

  for (const layout of LAYOUTS) {
    it(`${layout} layout: packs both package types with the source version, logging version, counts and sizes`, async () => {
      const solution = sample(layout);
      const out = path.join(work, 'out');
      const run = await pack({ sourceFolder: solution.folder, outputFolder: out });
      assert.equal(run.result, 'Succeeded', run.stdout + run.stderr);
      assert.deepEqual(run.outputs, {
        solutionName: 'ContosoSample',
        solutionVersion: '1.2.3.4',
        unmanagedSolutionFile: path.join(out, 'ContosoSample_1_2_3_4.zip'),
        managedSolutionFile: path.join(out, 'ContosoSample_1_2_3_4_managed.zip'),
      });
      assert.deepEqual(fs.readdirSync(out).sort(), ['ContosoSample_1_2_3_4.zip', 'ContosoSample_1_2_3_4_managed.zip'], 'no temp files left');
      assert.match(run.stdout, /^Version: 1\.2\.3\.4 \(kept from Solution\.xml\)\.$/m);
      assert.match(run.stdout, /^Root components: .*Entity \d+/m);
      assert.match(run.stdout, /^ContosoSample_1_2_3_4_managed\.zip: [\d.]+ (B|KiB|MiB)\.$/m);
      assert.match(run.stdout, layout === 'project' ? /pac project ContosoSample\.cdsproj/ : /SolutionPackager folder/);
    });

    for (const packageType of ['unmanaged', 'managed'] as const) {
      it(`${layout} layout: packageType ${packageType} writes only that zip`, async () => {
        const solution = sample(layout);
        const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out'), packageType });
        assert.equal(run.result, 'Succeeded', run.stdout);
        const other = packageType === 'managed' ? 'unmanagedSolutionFile' : 'managedSolutionFile';
        assert.equal(run.outputs[other], '');
        assert.ok(fs.existsSync(run.outputs[`${packageType}SolutionFile`]));
        assert.equal(fs.readdirSync(path.join(work, 'out')).length, 1);
      });
    }
  }

  it('each version form: empty keeps, a full version sets, a pattern keeps the * parts, a build-number restart is allowed', async () => {
    const solution = sample('flat', '1.4.500.0');
    const versionOf = async (version: string) => {
      const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, `out-${version || 'empty'}`), packageType: 'managed', version });
      assert.equal(run.result, 'Succeeded', run.stdout);
      return run.outputs.solutionVersion;
    };
    assert.equal(await versionOf(''), '1.4.500.0');
    assert.equal(await versionOf('1.5.0.0'), '1.5.0.0');
    assert.equal(await versionOf('*.*.812.0'), '1.4.812.0');
    assert.equal(await versionOf('*.*.12.3'), '1.4.12.3', 'lower than the source, but the pattern keeps major.minor');
    assert.equal(await versionOf('*.*.*.7'), '1.4.500.7');
  });

  it('stamps the version inside the zips, and with updateSourceVersion into the source Solution.xml', async () => {
    const solution = sample('project', '2.0.0.0');
    const manifest = path.join(solution.solutionRoot, 'Other', 'Solution.xml');
    const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out'), version: '*.*.77.0', updateSourceVersion: 'true' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.match(fs.readFileSync(manifest, 'utf8'), /<Version>2\.0\.77\.0<\/Version>/);
    assert.match(run.stdout, /Wrote version 2\.0\.77\.0 into /);
  });

  it('version errors: lower than the source, which part is invalid, an unexpanded variable — nothing written', async () => {
    const solution = sample('flat', '1.4.0.0');
    const out = path.join(work, 'out');
    assertFailed(await pack({ sourceFolder: solution.folder, outputFolder: out, version: '1.3.9.9' }),
      'Version 1.3.9.9', 'lower than the source version 1.4.0.0', '*.*.$(Build.BuildId).0');
    assertFailed(await pack({ sourceFolder: solution.folder, outputFolder: out, version: '1.x.0.0' }), "part 2 (minor) 'x'");
    assertFailed(await pack({ sourceFolder: solution.folder, outputFolder: out, version: '*.*.$(Build.BuildId).0' }),
      '$(Build.BuildId), which was not expanded');
    assert.ok(!fs.existsSync(out));
  });

  it('a map file supplies content built outside the tree; without it the missing file is reported', async () => {
    const solution = sample('project');
    const inTree = path.join(solution.solutionRoot, ...PLUGIN_ASSEMBLY.split('/'));
    const built = path.join(work, 'bin', 'ContosoPlugins.dll');
    fs.mkdirSync(path.dirname(built), { recursive: true });
    fs.writeFileSync(built, Buffer.from('MZ built by the pipeline'));
    fs.rmSync(inTree);

    assertFailed(await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out1') }), PLUGIN_ASSEMBLY);

    const mapFile = path.join(work, 'map.xml');
    fs.writeFileSync(mapFile, `<?xml version="1.0" encoding="utf-8"?>\n<Mapping>\n  <FileToFile map="ContosoPlugins.dll" to="${path.relative(solution.solutionRoot, built).split(path.sep).join('/')}" />\n</Mapping>\n`);
    const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out2'), mapFile, packageType: 'unmanaged' });
    assert.equal(run.result, 'Succeeded', run.stdout);
  });

  it('validation errors: no Solution.xml, every missing file listed, malformed XML with file and line', async () => {
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    assertFailed(await pack({ sourceFolder: empty, outputFolder: path.join(work, 'out') }), 'no Other/Solution.xml');

    const solution = sample('flat', '1.0.0.0', 'missing');
    const webResource = path.join(solution.solutionRoot, 'WebResources', 'cnt_', 'scripts', 'project.form.js');
    fs.rmSync(webResource);
    fs.rmSync(path.join(solution.solutionRoot, ...PLUGIN_ASSEMBLY.split('/')));
    assertFailed(await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out') }),
      '2 file(s) referenced by the solution are missing', 'WebResources/cnt_/scripts/project.form.js', PLUGIN_ASSEMBLY);

    const broken = sample('flat', '1.0.0.0', 'broken');
    const customizations = path.join(broken.solutionRoot, 'Other', 'Customizations.xml');
    fs.writeFileSync(customizations, '<?xml version="1.0" encoding="utf-8"?>\n<ImportExportXml>\n  <Entities>\n</ImportExportXml>\n');
    assertFailed(await pack({ sourceFolder: broken.folder, outputFolder: path.join(work, 'out') }), /Customizations\.xml/i, /line \d+/i);
    assert.ok(!fs.existsSync(path.join(work, 'out')), 'nothing written by any failed run');
  });

  it('is deterministic: packing the same folder twice gives byte-identical zips', async () => {
    const solution = sample('project');
    const first = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'a'), version: '*.*.9.0' });
    const second = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'b'), version: '*.*.9.0' });
    for (const key of ['unmanagedSolutionFile', 'managedSolutionFile']) {
      assert.ok(fs.readFileSync(first.outputs[key]).equals(fs.readFileSync(second.outputs[key])), `${key} byte-identical`);
    }
  });

  it('corpus: every unpacked folder of the shared corpus packs through the task', async function () {
    const corpus = corpusDir();
    const unpacked = corpus ? path.join(corpus, 'unpacked') : undefined;
    if (!unpacked || !fs.existsSync(unpacked)) {
      console.log(`      skipped: no corpus unpacked/ folder (${unpacked ?? 'corpus not found'})`);
      this.skip();
    }
    const folders = fs.readdirSync(unpacked).filter((f) => fs.statSync(path.join(unpacked, f)).isDirectory());
    const failures: string[] = [];
    for (const folder of folders) {
      const run = await pack({ sourceFolder: path.join(unpacked, folder), outputFolder: path.join(work, folder) });
      if (run.result !== 'Succeeded') failures.push(`${folder}: ${run.resultMessage ?? run.stderr}`);
    }
    console.log(`      packed ${folders.length - failures.length}/${folders.length} corpus folder(s)`);
    assert.deepEqual(failures, []);
  });

  describe('the packed zips import into the emulator', () => {
    let emulator: RunningEmulator;
    let http: ClosableHttpClient;

    // The sample solution depends on the system table contact (its MissingDependencies say so), which every
    // real environment has; the emulator's environments get it as an existing component. Jobs run instantly.
    before(async () => {
      emulator = await startEmulator({
        seed: { environments: ['dev', 'test'].map((name) => ({ name, timeScale: 0, unmanagedComponents: [{ type: 1, schemaName: 'contact' }] })) },
      });
    });
    after(async () => { await emulator?.stop(); });
    beforeEach(() => { http = createHttpClient({ productVersion: 'test' }); });
    afterEach(() => http.close());

    function client(environment: string): DataverseClient {
      const info = emulator.info;
      const tokenProvider = createTokenProvider({
        kind: 'clientSecret', authorityHost: info.authorityHost, tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret ?? '',
      }, { http });
      return new DataverseClient({ environmentUrl: info.environments[environment], tokenProvider, http });
    }

    async function importZip(dataverse: DataverseClient, zip: string): Promise<void> {
      const started = await dataverse.post<{ AsyncOperationId: string }>('ImportSolutionAsync', {
        OverwriteUnmanagedCustomizations: true, PublishWorkflows: true, CustomizationFile: fs.readFileSync(zip).toString('base64'),
      });
      for (let attempt = 0; attempt < 600; attempt++) {
        const op = await dataverse.get<{ statecode: number; statuscode: number; message?: string }>(
          `asyncoperations(${started.AsyncOperationId})`, { query: { $select: 'statecode,statuscode,message' } });
        if (op.statecode === 3) {
          assert.equal(op.statuscode, 30, `import succeeded: ${op.message ?? ''}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.fail('import did not complete');
    }

    it('managed zip → Test: installed as managed with the stamped version', async () => {
      const solution = sample('project', '1.2.0.0');
      const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out'), packageType: 'managed', version: '*.*.31.0' });
      assert.equal(run.result, 'Succeeded', run.stdout);
      const test = client('test');
      await importZip(test, run.outputs.managedSolutionFile);
      const installed = await test.findSolution('ContosoSample');
      assert.equal(installed?.version, '1.2.31.0');
      assert.equal(installed?.ismanaged, true);
    });

    it('unmanaged zip → Dev, exported back: equal to what was packed', async () => {
      const solution = sample('flat', '3.1.0.0');
      const run = await pack({ sourceFolder: solution.folder, outputFolder: path.join(work, 'out'), packageType: 'unmanaged' });
      assert.equal(run.result, 'Succeeded', run.stdout);
      const dev = client('dev');
      await importZip(dev, run.outputs.unmanagedSolutionFile);
      const exported = await dev.post<{ ExportSolutionFile: string }>('ExportSolution', { SolutionName: 'ContosoSample', Managed: false });
      const exportedZip = path.join(work, 'exported.zip');
      fs.writeFileSync(exportedZip, Buffer.from(exported.ExportSolutionFile, 'base64'));
      assert.deepEqual(await zipDifferences(run.outputs.unmanagedSolutionFile, exportedZip), []);
    });
  });
});

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { repoRoot } from '../helpers/paths';
import { writeMapFile, writeSolutionFolder } from './solutionFolders';

const fromSource = path.extname(__filename) === '.ts';

/** Runs the task under MockTestRunner with the current Node (never downloads one). */
async function runL0(inputs: Record<string, string>): Promise<MockTestRunner> {
  const runner = new MockTestRunner(path.join(__dirname, `packVersionScenario${path.extname(__filename)}`),
    path.join(repoRoot(), 'tasks', 'pack-version', 'task.json'));
  runner.nodePath = process.execPath;
  const saved = { inputs: process.env.L0_INPUTS, nodeOptions: process.env.NODE_OPTIONS };
  process.env.L0_INPUTS = JSON.stringify(inputs);
  // Under tsx (tests run from source) the scenario is TypeScript too.
  if (fromSource) process.env.NODE_OPTIONS = `${saved.nodeOptions ?? ''} --require tsx/cjs`.trim();
  try {
    await runner.runAsync();
  } finally {
    restore('L0_INPUTS', saved.inputs);
    restore('NODE_OPTIONS', saved.nodeOptions);
  }
  return runner;
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function outputOf(runner: MockTestRunner, name: string): string | undefined {
  const match = new RegExp(`##vso\\[task\\.setvariable variable=${name};isOutput=true;[^\\]]*\\](.*)`).exec(runner.stdout);
  return match?.[1];
}

describe('L0 DataversePackSolution (MockTestRunner)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-l0-pack-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('packs both zips from a flat folder with the default inputs and sets the four outputs', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat' });
    const out = path.join(dir, 'out');
    const runner = await runL0({ sourceFolder: solution.folder, outputFolder: out, packageType: 'both' });
    assert.ok(runner.succeeded, runner.stdout);
    assert.equal(runner.errorIssues.length, 0);
    assert.equal(outputOf(runner, 'solutionName'), 'Contoso');
    assert.equal(outputOf(runner, 'solutionVersion'), '1.2.0.0');
    assert.equal(outputOf(runner, 'unmanagedSolutionFile'), path.join(out, 'Contoso_1_2_0_0.zip'));
    assert.equal(outputOf(runner, 'managedSolutionFile'), path.join(out, 'Contoso_1_2_0_0_managed.zip'));
    assert.ok(fs.existsSync(path.join(out, 'Contoso_1_2_0_0.zip')));
    assert.ok(runner.stdOutContained('##[group]Inspect the solution folder'));
    assert.ok(runner.stdOutContained('Root components: WebResource 2.'));
    assert.ok(runner.stdOutContained('##vso[task.setprogress value=100;]Done'));
  });

  it('stamps a pattern version into a pac project folder and packs only the managed zip', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'project', version: '1.2.5.0' });
    const out = path.join(dir, 'out');
    const runner = await runL0({ sourceFolder: solution.folder, outputFolder: out, packageType: 'managed', version: '*.*.812.0' });
    assert.ok(runner.succeeded, runner.stdout);
    assert.equal(outputOf(runner, 'solutionVersion'), '1.2.812.0');
    assert.equal(outputOf(runner, 'unmanagedSolutionFile'), '');
    assert.equal(outputOf(runner, 'managedSolutionFile'), path.join(out, 'Contoso_1_2_812_0_managed.zip'));
    assert.ok(runner.stdOutContained('pac project Contoso.cdsproj'));
    assert.ok(fs.readFileSync(solution.manifestPath, 'utf8').includes('<Version>1.2.5.0</Version>'), 'source unchanged by default');
  });

  it('fails with the input named and the allowed values for a wrong package type', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat' });
    const runner = await runL0({ sourceFolder: solution.folder, outputFolder: path.join(dir, 'out'), packageType: 'everything' });
    assert.ok(runner.failed);
    assert.ok(runner.createdErrorIssue("Input 'packageType' is 'everything', which is not one of the allowed values: both, unmanaged, managed. Set 'packageType' to one of them (default: both)."),
      runner.stdout);
  });

  it('fails before writing anything when a referenced file is missing, listing every one', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat', omitWebResourceContent: true });
    const out = path.join(dir, 'out');
    const runner = await runL0({ sourceFolder: solution.folder, outputFolder: out });
    assert.ok(runner.failed);
    const message = runner.errorIssues.join('\n');
    for (const w of solution.webResources) assert.ok(message.includes(w.treePath), `${w.treePath} listed in: ${message}`);
    assert.ok(!fs.existsSync(out) || fs.readdirSync(out).length === 0, 'no zip written');
  });

  it('packs with a map file supplying the missing content', async () => {
    const solution = writeSolutionFolder(dir, { layout: 'flat', omitWebResourceContent: true });
    const mapFile = writeMapFile(solution, path.join(dir, 'build'));
    const runner = await runL0({ sourceFolder: solution.folder, outputFolder: path.join(dir, 'out'), mapFile, packageType: 'unmanaged' });
    assert.ok(runner.succeeded, runner.stdout);
  });

  it('fails naming the input when the source folder does not exist', async () => {
    const runner = await runL0({ sourceFolder: path.join(dir, 'nope'), outputFolder: path.join(dir, 'out') });
    assert.ok(runner.failed);
    assert.match(runner.errorIssues.join('\n'), /Input 'sourceFolder': folder '.*nope' does not exist/);
  });
});

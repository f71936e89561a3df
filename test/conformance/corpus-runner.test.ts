/** The conformance runner itself, on a small generated corpus (no third-party files needed). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { writeSampleSolutionFolder, writeSampleSolutionZip } from '../fixtures/solution/sample-solution';
import { TempDirs } from '../unit/solution/helpers';

function runCorpus(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; lines: string[] } {
  const root = repoRoot();
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'scripts', 'corpus.ts'), ...args], {
    cwd: root, env, encoding: 'utf8', timeout: 120_000,
  });
  return { code: r.status, lines: `${r.stdout}`.trim().split('\n') };
}

describe('corpus conformance runner (scripts/corpus.ts)', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it('checks a partial corpus: one line per artifact, skip reasons, final count, exit 0', async () => {
    const corpus = temp.make('mini-corpus-');
    writeSampleSolutionFolder(path.join(corpus, 'unpacked', 'sample-project'), { layout: 'project' });
    writeSampleSolutionFolder(path.join(corpus, 'unpacked', 'sample-flat-unmanaged'), { managed: 0, eol: '\r\n' });
    await writeSampleSolutionZip(path.join(corpus, 'zips', 'Sample_1_0_0_0.zip'));
    await writeSampleSolutionZip(path.join(corpus, 'zips', 'Sample_1_0_0_0_managed.zip'), { managedZip: true });
    const r = runCorpus([corpus]);
    assert.equal(r.code, 0, r.lines.join('\n'));
    assert.deepEqual(r.lines.filter((l) => /^(PASS|FAIL|SKIP)/.test(l)).map((l) => l.replace(/:.*$/, '')), [
      'PASS unpacked/sample-flat-unmanaged', 'PASS unpacked/sample-project', 'SKIP expect-fail',
      'PASS zips/Sample_1_0_0_0.zip', 'PASS zips/Sample_1_0_0_0_managed.zip',
    ]);
    assert.equal(r.lines[r.lines.length - 1], '4 passed, 0 failed');
  });

  it('passes an expect-fail case only when pack names exactly the listed files, and exits non-zero on failure', () => {
    const corpus = temp.make('mini-corpus-');
    const good = writeSampleSolutionFolder(path.join(corpus, 'expect-fail', 'missing-dll'));
    fs.rmSync(path.join(good.solutionRoot, 'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll'));
    fs.writeFileSync(path.join(corpus, 'expect-fail', 'missing-dll.expect.txt'), 'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll\n');
    writeSampleSolutionFolder(path.join(corpus, 'expect-fail', 'packs-fine'));
    fs.writeFileSync(path.join(corpus, 'expect-fail', 'packs-fine.expect.txt'), 'Nothing.dll\n');
    const r = runCorpus([], { ...process.env, DATAVERSE_CORPUS: corpus });
    assert.equal(r.code, 1);
    assert.ok(r.lines.includes('PASS expect-fail/missing-dll: fails naming exactly ContosoPlugins.dll'), r.lines.join('\n'));
    assert.ok(r.lines.includes('FAIL expect-fail/packs-fine: packed without error, but it must fail'));
    assert.equal(r.lines[r.lines.length - 1], '1 passed, 1 failed');
  });

  it('says so when the corpus folder does not exist', () => {
    const r = runCorpus([path.join(temp.make(), 'absent')]);
    assert.equal(r.code, 1);
    assert.equal(r.lines[r.lines.length - 1], '0 passed, 1 failed');
  });
});

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as yauzl from 'yauzl';
import { repoRoot } from '../helpers/paths';
import { taskFolders } from './manifest';

/**
 * Runs `scripts/package.ts` from source in a child process (as `npm run package` does), building into
 * temporary folders: the build script locates tasks/ relative to its own file, which only holds in the source tree.
 */
async function runPackageScript(extensionRoot: string, outputDir: string): Promise<{ vsixPath: string; sizeBytes: number; output: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath,
    ['--require', 'tsx/cjs', 'scripts/package.ts', '--extension-root', extensionRoot, '--output-dir', outputDir],
    { cwd: repoRoot(), maxBuffer: 16 * 1024 * 1024 });
  const vsix = fs.readdirSync(outputDir).filter((f) => f.endsWith('.vsix'));
  assert.equal(vsix.length, 1, `one VSIX in ${outputDir}; output:\n${stdout}${stderr}`);
  const vsixPath = path.join(outputDir, vsix[0]);
  return { vsixPath, sizeBytes: fs.statSync(vsixPath).size, output: stdout + stderr };
}

function zipEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) { reject(err ?? new Error('cannot open zip')); return; }
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => { names.push(entry.fileName); zip.readEntry(); });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('packaging: VSIX built with tfx (offline)', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-vsix-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds a VSIX with every task bundle, task.json and icon, and no node_modules', async () => {
    const result = await runPackageScript(path.join(dir, 'extension'), path.join(dir, 'out'));
    console.log(`      VSIX ${path.basename(result.vsixPath)}: ${(result.sizeBytes / 1024).toFixed(0)} KiB, ${taskFolders().length} task(s)`);
    assert.doesNotMatch(result.output, /warning:/i, 'tfx printed no warnings');
    const entries = await zipEntries(result.vsixPath);
    assert.ok(entries.includes('extension.vsixmanifest'));
    assert.ok(entries.includes('vss-extension.json') || entries.includes('extension.vsomanifest'));
    assert.ok(entries.some((e) => e.endsWith('overview.md')));
    assert.ok(entries.includes('images/extension-icon.png'));
    for (const folder of taskFolders()) {
      for (const file of ['index.js', 'task.json', 'icon.png']) {
        assert.ok(entries.includes(`tasks/${folder}/${file}`), `tasks/${folder}/${file} is in the VSIX`);
      }
    }
    assert.deepEqual(entries.filter((e) => e.includes('node_modules')), []);
    assert.deepEqual(entries.filter((e) => e.endsWith('.map')), [], 'source maps stay in dist/sourcemaps, outside the VSIX');
    assert.ok(result.sizeBytes < 25 * 1024 * 1024, 'under the marketplace limit of 25 MiB');
  });
});

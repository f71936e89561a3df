import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../helpers/paths';

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const TASK_LIB_IMPORT = /(?:from\s+|require\(\s*|import\(\s*)['"](azure-pipelines-task-lib(?:\/[^'"]*)?)['"]/g;

describe('pipeline boundary: only shared/pipeline talks to task-lib (design.md §3)', () => {
  const root = repoRoot();
  const product = ['shared', 'tasks', 'emulator', 'scripts'].flatMap((d) => sourceFiles(path.join(root, d)));

  it('no product code outside shared/pipeline imports azure-pipelines-task-lib', () => {
    const offenders = product
      .filter((file) => !file.startsWith(path.join(root, 'shared', 'pipeline') + path.sep))
      .filter((file) => [...fs.readFileSync(file, 'utf8').matchAll(TASK_LIB_IMPORT)].length > 0)
      .map((file) => path.relative(root, file));
    assert.deepEqual(offenders, []);
  });

  it('shared/pipeline imports it by the exact path MockTestRunner mocks, in one file', () => {
    const imports = sourceFiles(path.join(root, 'shared', 'pipeline')).flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(TASK_LIB_IMPORT)].map((m) => `${path.basename(file)}: ${m[1]}`));
    assert.deepEqual(imports, ['agent.ts: azure-pipelines-task-lib/task']);
  });
});

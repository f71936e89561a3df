import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root, found from this file whether it runs as test/… (tsx) or out/test/… (compiled). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

/** The shared corpus folder (DATAVERSE_CORPUS, or ../shared/corpus beside the repo), or undefined when absent. */
export function corpusDir(): string | undefined {
  const candidate = process.env.DATAVERSE_CORPUS ?? path.join(repoRoot(), '..', 'shared', 'corpus');
  return fs.existsSync(candidate) ? candidate : undefined;
}

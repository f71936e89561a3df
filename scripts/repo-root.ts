import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, whether a script runs from scripts/ (tsx) or out/scripts/ (compiled by the test run). */
export function findRoot(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

/**
 * `npm run bench`: runs every bench/*.ts in its own process (so peak-RSS figures are not polluted by each
 * other) and prints their output. Never part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const only = process.argv.slice(2);
const benches = fs.readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
// Benchmarks measure the shipped artifacts: build the bundles and the tsc output first.
for (const [what, args] of [['build', [path.join(root, 'node_modules', '.bin', 'tsx'), 'scripts/build.ts']], ['tsc', [path.join(root, 'node_modules', '.bin', 'tsc'), '-p', 'tsconfig.json']]] as const) {
  const r = spawnSync(process.execPath, [...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`${what} failed; no benchmark run.`); process.exit(1); }
}
let failures = 0;
for (const file of benches) {
  console.log(`\n== bench/${file}`);
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', '.bin', 'tsx'), path.join('bench', file)], {
    cwd: root, stdio: 'inherit',
  });
  if (r.status !== 0) failures++;
}
console.log(`\n${benches.length - failures} benchmark(s) ran, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);

/**
 * Start-up cost of a task as the agent runs it: the esbuild bundle (what the VSIX ships) against the same
 * task compiled by tsc and loading its dependencies from node_modules (what an unbundled extension ships).
 * Both run the same failing-input path (no sourceFolder), so the figure is load + input check + result.
 * Runs are interleaved so machine load affects both alike; prints medians and their ratio.
 * Usage: npx tsx bench/task-startup.ts [runs]   (needs `npm run build` and `npx tsc` first)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRoot } from '../scripts/repo-root';

const root = findRoot(__dirname);
const runs = Number(process.argv[2] ?? 15);
const variants = {
  'bundle (dist/extension)': path.join(root, 'dist', 'extension', 'tasks', 'pack-version', 'index.js'),
  'tsc output + node_modules': path.join(root, 'out', 'tasks', 'pack-version', 'index.js'),
};
for (const [name, file] of Object.entries(variants)) {
  if (!fs.existsSync(file)) {
    console.error(`${name}: ${path.relative(root, file)} is missing; run \`npm run build\` and \`npx tsc -p tsconfig.json\` first.`);
    process.exit(1);
  }
}

const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, file] of Object.entries(variants)) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [file], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (!r.stdout.includes('result=Failed') || !r.stdout.includes("Input 'sourceFolder' is required")) {
      throw new Error(`${name}: unexpected output:\n${r.stdout}${r.stderr}`);
    }
    times[name].push(ms);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [bundled, unbundled] = Object.keys(variants).map((k) => median(times[k]));
for (const name of Object.keys(variants)) console.log(`${name.padEnd(28)} median ${median(times[name]).toFixed(0)} ms over ${runs} runs`);
console.log(`ratio unbundled / bundle: ${(unbundled / bundled).toFixed(2)}×`);
const bundleBytes = fs.statSync(variants['bundle (dist/extension)']).size;
console.log(`bundle size ${(bundleBytes / 1024).toFixed(0)} KiB (one file; the unbundled task needs the production node_modules beside it)`);

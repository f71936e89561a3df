/**
 * `npm test`: typecheck, lint, bundle, then every mocha tier (unit, emulator, task L0, e2e, packaging)
 * under c8 coverage. Ends with the single line `N passed, N failed` that CI reads: N passed counts
 * mocha tests; a failed typecheck, lint or build step counts as one failure each.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

interface StepResult { ok: boolean; output: string }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); process.stdout.write(d); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); process.stderr.write(d); });
    child.on('close', (code) => resolve({ ok: code === 0, output }));
    child.on('error', (err) => resolve({ ok: false, output: String(err) }));
  });
}

async function main(): Promise<void> {
  let passed = 0;
  let failed = 0;
  const step = async (name: string, cmd: string, args: string[]): Promise<boolean> => {
    console.log(`\n== ${name}`);
    const r = await run(cmd, args);
    if (!r.ok) { failed++; console.log(`${name} FAILED (counted as 1 failed)`); }
    return r.ok;
  };

  const compiled = await step('typecheck + compile (tsc, strict)', bin('tsc'), ['-p', 'tsconfig.json']);
  await step('lint (eslint)', bin('eslint'), ['.', '--max-warnings=0']);
  const built = await step('build (esbuild bundles)', process.execPath, [bin('tsx'), 'scripts/build.ts']);

  if (compiled && built) {
    console.log('\n== mocha (unit, emulator, tasks L0, e2e, packaging) with c8 coverage');
    const spec = process.env.TEST_SPEC ?? 'out/test/**/*.test.js';
    const r = await run(bin('c8'), [
      '--reporter=text-summary', '--reports-dir=coverage', '--exclude=out/test/**', '--exclude=node_modules/**',
      bin('mocha'), '--timeout', '60000', '--recursive', '--exit', spec,
    ]);
    const pass = /(\d+) passing/.exec(r.output);
    const fail = /(\d+) failing/.exec(r.output);
    passed += pass ? Number(pass[1]) : 0;
    failed += fail ? Number(fail[1]) : 0;
    if (!r.ok && !fail) failed++;
  } else {
    console.log('\nmocha not run: compile or build failed');
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();

import { fork } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs `<dir>/<name>.ts|.js` (whichever tree the calling test runs from: test/ under tsx, out/test/ compiled) in
 * a child process with extra V8 flags, and resolves with the one message it sends: measurements taken there
 * are not polluted by the rest of the test run.
 */
export function runChildReport<T>(dir: string, name: string, args: string[], v8Flags: string[]): Promise<T> {
  const typescript = __filename.endsWith('.ts');
  const script = path.join(dir, `${name}${typescript ? '.ts' : '.js'}`);
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { execArgv: [...(typescript ? ['--require', 'tsx/cjs'] : []), ...v8Flags], stdio: 'inherit' });
    let report: T | undefined;
    child.on('message', (m) => { report = m as T; });
    child.on('error', reject);
    child.on('exit', (code) => (report !== undefined ? resolve(report) : reject(new Error(`${name} exited with ${code} and no report`))));
  });
}

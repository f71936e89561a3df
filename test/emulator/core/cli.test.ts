import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { repoRoot } from '../../helpers/paths';

describe('emulator core: npm run emulator (scripts/emulator.ts)', () => {
  it('prints "Emulator listening on <url>" first, serves, and stops on SIGTERM', async () => {
    const root = repoRoot();
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'scripts/emulator.ts', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      const firstLine = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const end = output.indexOf('\n');
          if (end >= 0) resolve(output.slice(0, end));
        });
        child.once('exit', (code) => reject(new Error(`emulator exited (${code}) before printing a line`)));
      });
      assert.match(firstLine, /^Emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = firstLine.slice('Emulator listening on '.length);
      const info = await (await fetch(`${url}/_emulator/info`)).json() as { environments: Record<string, string> };
      assert.deepEqual(Object.keys(info.environments), ['dev', 'test', 'prod']);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

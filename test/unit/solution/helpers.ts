import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A temp folder removed after each test of the suite that calls it in a hook. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = 'solution-test-'): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

export async function rejectsWith(fn: () => Promise<unknown>, pattern: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof Error) || !pattern.test(err.message)) throw new Error(`expected an error matching ${pattern}, got: ${String(err)}`, { cause: err });
    return err;
  }
  throw new Error(`expected an error matching ${pattern}, but it succeeded`);
}

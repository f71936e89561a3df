import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger, UserError } from '../core';

/**
 * Runs `fn` with a fresh private folder under the temp directory (the job's temp folder on an agent) and removes
 * it afterwards. A failure to remove it is only logged: it must never hide the outcome of `fn`.
 */
export async function withTempFolder<T>(prefix: string, logger: Logger, fn: (dir: string) => Promise<T>): Promise<T> {
  const base = os.tmpdir();
  let dir: string;
  try {
    dir = await fs.promises.mkdtemp(path.join(base, prefix));
  } catch (err) {
    throw new UserError(`Cannot create a working folder in the temp directory '${base}': ${(err as Error).message}.`,
      'Check that the temp directory (TMPDIR/TEMP, or Agent.TempDirectory on an agent) exists and is writable.');
  }
  try {
    return await fn(dir);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true }).catch((err: Error) => logger.debug(`Could not remove the working folder '${dir}': ${err.message}`));
  }
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger, UserError } from '../core';

/**
 * Runs `fn` with a fresh hidden working folder inside `parent` — a folder the user named (the output folder, the
 * unpack target), so nothing is written anywhere else and moving finished files into place is a rename. The
 * working folder is always removed; `parent` is removed too when this call created it and `fn` failed, so a
 * failure leaves the disk as it was. A failure to clean up is only logged: it must never hide the outcome of `fn`.
 */
export async function withWorkFolder<T>(parent: string, logger: Logger, fn: (dir: string) => Promise<T>): Promise<T> {
  let created: string | undefined;
  let dir: string;
  try {
    created = await fs.promises.mkdir(parent, { recursive: true });
    dir = await fs.promises.mkdtemp(path.join(parent, '.dataverse-alm-'));
  } catch (err) {
    throw new UserError(`Cannot create a working folder in '${parent}': ${(err as Error).message}.`, 'Check that the folder can be created and written to.');
  }
  let succeeded = false;
  try {
    const result = await fn(dir);
    succeeded = true;
    return result;
  } finally {
    const remove = succeeded || !created ? dir : created;
    await fs.promises.rm(remove, { recursive: true, force: true }).catch((err: Error) => logger.debug(`Could not remove '${remove}': ${err.message}`));
  }
}

/**
 * Content hashes of a folder's files, to tell which files an unpack really added, changed or removed (the
 * unpacker rewrites extracted entries with the same bytes, so timestamps alone would report every file).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folders that are never part of a solution tree: VCS metadata and build output of a pac project. */
const SKIPPED_FOLDERS = new Set(['bin', 'obj', 'node_modules']);

/** Relative path (forward slashes) → SHA-256 of the content. An absent folder is an empty snapshot. */
export type TreeSnapshot = Map<string, string>;

export interface TreeChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export async function snapshotTree(folder: string): Promise<TreeSnapshot> {
  const snapshot: TreeSnapshot = new Map();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name.toLowerCase())) await walk(full, rel);
      } else if (entry.isFile()) {
        snapshot.set(rel, await hashFile(full));
      }
    }
  };
  await walk(folder, '');
  return snapshot;
}

export function compareSnapshots(before: TreeSnapshot, after: TreeSnapshot): TreeChanges {
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const [rel, hash] of after) {
    const previous = before.get(rel);
    if (previous === undefined) added.push(rel);
    else if (previous !== hash) changed.push(rel);
    else unchanged++;
  }
  const removed = [...before.keys()].filter((rel) => !after.has(rel));
  const sorted = (list: string[]) => list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { added: sorted(added), changed: sorted(changed), removed: sorted(removed), unchanged };
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

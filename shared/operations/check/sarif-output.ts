/**
 * Writes the SARIF files of a checker run into one folder (the CodeAnalysisLogs artifact the SARIF viewer
 * extension reads). Each file is written under a temporary name and renamed; equal names from different result
 * zips get a numeric suffix instead of overwriting each other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResultFile } from '../../checker';

export async function writeSarifFiles(outputFolder: string, results: ResultFile[]): Promise<string[]> {
  await fs.promises.mkdir(outputFolder, { recursive: true });
  const used = new Set<string>();
  const written: string[] = [];
  for (const result of results) {
    for (const sarif of result.sarifFiles) {
      const name = uniqueName(safeBaseName(sarif.name), used);
      const file = path.join(outputFolder, name);
      const temp = `${file}.${process.pid}.tmp`;
      await fs.promises.writeFile(temp, sarif.content);
      await fs.promises.rename(temp, file);
      written.push(file);
    }
  }
  return written;
}

/** The entry's file name only (entry names may hold folders), with a .sarif extension the viewers recognise. */
function safeBaseName(entryName: string): string {
  const base = entryName.split('/').pop()?.replace(/[<>:"|?*\\]/g, '_') || 'results';
  const stem = base.replace(/\.json$/i, '');
  return /\.sarif$/i.test(stem) ? stem : `${stem}.sarif`;
}

function uniqueName(name: string, used: Set<string>): string {
  const stem = name.replace(/\.sarif$/i, '');
  let candidate = name;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}.sarif`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/** Stamping a version into an unpacked folder's Other/Solution.xml, changing nothing else in the file. */
import * as fs from 'node:fs';
import { UserError } from '../core';
import { inspectSolutionFolder } from './layout';
import { parseVersion } from './versions';

export interface StampResult {
  file: string;
  previous: string;
  version: string;
}

/** Replaces the manifest's <Version> text in place (BOM, declaration, formatting and line endings are kept). */
export function stampVersionText(solutionXml: string, version: string): { text: string; previous: string } {
  const next = parseVersion(version, 'Version to stamp').text;
  const start = solutionXml.indexOf('<SolutionManifest');
  const match = start < 0 ? null : /<Version>([^<]*)<\/Version>/.exec(solutionXml.slice(start));
  if (!match || match.index === undefined) {
    throw new UserError('Solution.xml has no <Version> in <SolutionManifest>; cannot stamp a version.', 'Check that the file is a solution manifest.');
  }
  const at = start + match.index;
  return { text: `${solutionXml.slice(0, at)}<Version>${next}</Version>${solutionXml.slice(at + match[0].length)}`, previous: match[1].trim() };
}

export async function stampFolderVersion(folder: string, version: string): Promise<StampResult> {
  const info = inspectSolutionFolder(folder);
  const { text, previous } = stampVersionText(await fs.promises.readFile(info.manifestPath, 'utf8'), version);
  await fs.promises.writeFile(info.manifestPath, text, 'utf8');
  return { file: info.manifestPath, previous, version: parseVersion(version).text };
}

/**
 * The deployment settings template written after an export: every connection reference and environment
 * variable of the solution. Values already filled in an existing file are kept, so regenerating after each
 * export only adds new names and drops removed ones; an unchanged result leaves the file untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core';
import { generateDeploymentSettings, readDeploymentSettingsFile, type DeploymentSettings, type SolutionContents } from '../../solution';

export interface SettingsTemplateResult {
  file: string;
  /** False when the file already had exactly this content. */
  written: boolean;
  /** Values taken over from the existing file. */
  keptValues: number;
}

export async function writeSettingsTemplate(file: string, contents: SolutionContents): Promise<SettingsTemplateResult> {
  const existing = fs.existsSync(file) ? await readExisting(file) : undefined;
  const values = new Map(existing?.environmentVariables.map((e) => [e.schemaName, e.value]));
  const connections = new Map(existing?.connectionReferences.map((c) => [c.logicalName, c.connectionId]));
  let keptValues = 0;
  const kept = (value: string | undefined): string => {
    if (value) keptValues++;
    return value ?? '';
  };
  const text = generateDeploymentSettings(contents, {
    environmentVariableValue: (name) => kept(values.get(name)),
    connectionId: (name) => kept(connections.get(name)),
  });
  if (existing && (await fs.promises.readFile(file, 'utf8')) === text) return { file, written: false, keptValues };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(temp, text, 'utf8');
  await fs.promises.rename(temp, file);
  return { file, written: true, keptValues };
}

async function readExisting(file: string): Promise<DeploymentSettings> {
  try {
    return await readDeploymentSettingsFile(file);
  } catch (err) {
    throw new UserError(`The existing deployment settings file '${file}' cannot be read, so it was not overwritten: ${(err as Error).message}`,
      'Fix or delete the file (its filled-in values are kept when it can be read), or name another settings file.');
  }
}

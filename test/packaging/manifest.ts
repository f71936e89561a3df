/** Reading the extension's manifests for the packaging tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';

export interface TaskInput {
  name: string;
  type: string;
  label?: string;
  helpMarkDown?: string;
  defaultValue?: string | boolean;
  required?: boolean;
  groupName?: string;
  visibleRule?: string;
  options?: Record<string, string>;
}

export interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  instanceNameFormat?: string;
  runsOn?: string[];
  minimumAgentVersion?: string;
  version: { Major: number; Minor: number; Patch: number };
  groups?: { name: string; displayName: string; visibleRule?: string }[];
  inputs?: TaskInput[];
  outputVariables?: { name: string; description?: string }[];
  execution?: Record<string, { target?: string }>;
  restrictions?: { settableVariables?: { allowed?: string[] } };
  [key: string]: unknown;
}

export interface Contribution {
  id: string;
  type: string;
  targets: string[];
  properties: Record<string, unknown> & { name?: string };
}

export interface ExtensionManifest {
  id: string;
  publisher: string;
  version: string;
  categories: string[];
  icons: { default: string };
  content: { details: { path: string } };
  files: { path: string }[];
  contributions: Contribution[];
}

/** Task contracts from design.md §5: folder → task name and id (these never change). */
export const TASK_CONTRACTS: Record<string, { name: string; id: string }> = {
  'export-solution': { name: 'DataverseExportSolution', id: '97a5d0d2-150f-4384-8eaa-5450796f2368' },
  'solution-checker': { name: 'DataverseSolutionChecker', id: '2cf46958-ddba-48d3-9574-3a0cf0ca0c28' },
  'pack-version': { name: 'DataversePackSolution', id: 'f2a7b49f-1ead-4a05-8710-4e81fe4e2ce7' },
  'deploy-managed': { name: 'DataverseDeploySolution', id: 'bcbdba16-4db5-432b-86de-6b16279f4627' },
  'approval-wait': { name: 'DataverseApprovalWait', id: '5bbb8f11-59c0-4b1c-b289-a9f8fc982a34' },
  'approval-gate': { name: 'DataverseApprovalGate', id: 'c7015386-83b9-4bf9-83cf-4065df3f375c' },
};

export const ENDPOINT_TYPE_CONTRIBUTION = 'ms.vss-endpoint.service-endpoint-type';
export const TASK_CONTRIBUTION = 'ms.vss-distributed-task.task';

export function taskFolders(): string[] {
  const dir = path.join(repoRoot(), 'tasks');
  return fs.readdirSync(dir).filter((f) => fs.existsSync(path.join(dir, f, 'task.json'))).sort();
}

export function readTaskJson(folder: string): TaskJson {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), 'tasks', folder, 'task.json'), 'utf8')) as TaskJson;
}

export function readExtensionManifest(): ExtensionManifest {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), 'vss-extension.json'), 'utf8')) as ExtensionManifest;
}

/** Width and height from a PNG's IHDR chunk, or undefined when the file is not a PNG. */
export function pngSize(file: string): { width: number; height: number } | undefined {
  const buf = fs.readFileSync(file);
  if (buf.length < 24 || buf.toString('latin1', 1, 4) !== 'PNG' || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Input names a visibleRule refers to: `a = x && b != "" || c NotEndsWith y` → [a, b, c]. */
export function visibleRuleInputs(rule: string): string[] {
  return rule.split(/&&|\|\|/).map((clause) => {
    const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(=|!=|<=|>=|<|>|NotContains|NotStartsWith|NotEndsWith|Contains|StartsWith|EndsWith)\s*/.exec(clause);
    if (!match) throw new Error(`visibleRule clause '${clause.trim()}' is not "<input> <operator> <value>"`);
    return match[1];
  });
}

/**
 * pac deployment settings files (`pac solution create-settings` format):
 * { "EnvironmentVariables": [{ "SchemaName", "Value" }], "ConnectionReferences": [{ "LogicalName", "ConnectionId", "ConnectorId" }] }.
 * Reading is BOM-tolerant and case-insensitive on keys; unknown keys are reported, never fatal.
 */
import * as fs from 'node:fs';
import { UserError } from '../core';
import { stripBom } from './xml';
import { SolutionContents } from './contents';

export interface EnvironmentVariableSetting {
  schemaName: string;
  value: string;
}

export interface ConnectionReferenceSetting {
  logicalName: string;
  connectionId: string;
  connectorId?: string;
}

export interface DeploymentSettings {
  environmentVariables: EnvironmentVariableSetting[];
  connectionReferences: ConnectionReferenceSetting[];
  /** JSON paths of keys this format does not define (e.g. ALM Accelerator extras), for a warning. */
  unknownKeys: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case-insensitive property access that records which keys were used. */
function pick(obj: { [key: string]: Json }, key: string, used: Set<string>): Json | undefined {
  const found = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
  if (found === undefined) return undefined;
  used.add(found);
  return obj[found];
}

function asText(v: Json | undefined, where: string, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // JSON-typed environment variables are sometimes written as objects; keep them as JSON text.
  if (what === 'Value') return JSON.stringify(v);
  throw new UserError(`Deployment settings ${where}.${what} must be a string.`);
}

function readArray(root: { [key: string]: Json }, key: string, used: Set<string>, what: string): Array<{ [key: string]: Json }> {
  const value = pick(root, key, used);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UserError(`${what}: '${key}' must be an array.`, 'See `pac solution create-settings` for the format.');
  return value.map((item, i) => {
    if (!isObject(item)) throw new UserError(`${what}: ${key}[${i}] must be an object.`);
    return item;
  });
}

export function parseDeploymentSettings(text: string, what = 'deployment settings'): DeploymentSettings {
  let doc: Json;
  try {
    doc = JSON.parse(stripBom(text)) as Json;
  } catch (err) {
    throw new UserError(`${what} is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isObject(doc)) throw new UserError(`${what} must be a JSON object with EnvironmentVariables and ConnectionReferences.`);
  const used = new Set<string>();
  const unknownKeys: string[] = [];
  const envRaw = readArray(doc, 'EnvironmentVariables', used, what);
  const crRaw = readArray(doc, 'ConnectionReferences', used, what);
  for (const k of Object.keys(doc)) if (!used.has(k)) unknownKeys.push(k);

  const environmentVariables = envRaw.map((item, i) => {
    const u = new Set<string>();
    const where = `EnvironmentVariables[${i}]`;
    const schemaName = asText(pick(item, 'SchemaName', u), where, 'SchemaName');
    const value = asText(pick(item, 'Value', u), where, 'Value');
    if (!schemaName) throw new UserError(`${what}: ${where} has no SchemaName.`);
    for (const k of Object.keys(item)) if (!u.has(k)) unknownKeys.push(`${where}.${k}`);
    return { schemaName, value };
  });
  const connectionReferences = crRaw.map((item, i) => {
    const u = new Set<string>();
    const where = `ConnectionReferences[${i}]`;
    const logicalName = asText(pick(item, 'LogicalName', u), where, 'LogicalName');
    const connectionId = asText(pick(item, 'ConnectionId', u), where, 'ConnectionId');
    const connectorId = asText(pick(item, 'ConnectorId', u), where, 'ConnectorId');
    if (!logicalName) throw new UserError(`${what}: ${where} has no LogicalName.`);
    for (const k of Object.keys(item)) if (!u.has(k)) unknownKeys.push(`${where}.${k}`);
    return { logicalName, connectionId, connectorId: connectorId || undefined };
  });
  return { environmentVariables, connectionReferences, unknownKeys };
}

export async function readDeploymentSettingsFile(file: string): Promise<DeploymentSettings> {
  if (!fs.existsSync(file)) throw new UserError(`Deployment settings file '${file}' does not exist.`);
  return parseDeploymentSettings(await fs.promises.readFile(file, 'utf8'), `Deployment settings '${file}'`);
}

export interface GenerateSettingsOptions {
  /** Placeholder for each value; default '' like `pac solution create-settings`. */
  environmentVariableValue?: (schemaName: string) => string;
  connectionId?: (logicalName: string) => string;
}

/** A settings document listing every connection reference and environment variable of the solution. */
export function generateDeploymentSettings(contents: SolutionContents, options: GenerateSettingsOptions = {}): string {
  const doc = {
    EnvironmentVariables: contents.environmentVariables.map((e) => ({ SchemaName: e.schemaName, Value: options.environmentVariableValue?.(e.schemaName) ?? '' })),
    ConnectionReferences: contents.connectionReferences.map((c) => ({
      LogicalName: c.logicalName, ConnectionId: options.connectionId?.(c.logicalName) ?? '', ConnectorId: c.connectorId ?? '',
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface SettingsIssue {
  severity: 'error' | 'warning';
  message: string;
}

function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/** The closest known name, when it is close enough to be a plausible typo. */
export function suggestName(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function checkNames(kind: string, given: string[], known: string[], issues: SettingsIssue[]): void {
  const knownLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const seen = new Set<string>();
  for (const name of given) {
    if (seen.has(name.toLowerCase())) issues.push({ severity: 'error', message: `${kind} '${name}' appears more than once in the deployment settings.` });
    seen.add(name.toLowerCase());
    if (known.includes(name)) continue;
    const caseOnly = knownLower.get(name.toLowerCase());
    if (caseOnly) { issues.push({ severity: 'error', message: `${kind} '${name}' is not in the solution; did you mean '${caseOnly}'? (names are case-sensitive)` }); continue; }
    const suggestion = suggestName(name, known);
    issues.push({ severity: 'error', message: `${kind} '${name}' is not in the solution${suggestion ? `; did you mean '${suggestion}'?` : '.'}` });
  }
  const givenSet = new Set(given.map((g) => g.toLowerCase()));
  for (const k of known) {
    if (!givenSet.has(k.toLowerCase())) issues.push({ severity: 'warning', message: `${kind} '${k}' of the solution has no entry in the deployment settings; it keeps its current value in the target environment.` });
  }
}

/** Checks settings against a solution: unknown names (with a suggestion), missing entries, duplicates, empty connections. */
export function validateDeploymentSettings(settings: DeploymentSettings, contents: SolutionContents): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  checkNames('Environment variable', settings.environmentVariables.map((e) => e.schemaName), contents.environmentVariables.map((e) => e.schemaName), issues);
  checkNames('Connection reference', settings.connectionReferences.map((c) => c.logicalName), contents.connectionReferences.map((c) => c.logicalName), issues);
  const connectors = new Map(contents.connectionReferences.map((c) => [c.logicalName, c.connectorId]));
  for (const c of settings.connectionReferences) {
    if (connectors.has(c.logicalName) && !c.connectionId) {
      issues.push({ severity: 'warning', message: `Connection reference '${c.logicalName}' has an empty ConnectionId; flows using it will stay off until a connection is set.` });
    }
    const expected = connectors.get(c.logicalName);
    if (expected && c.connectorId && expected.toLowerCase() !== c.connectorId.toLowerCase()) {
      issues.push({ severity: 'warning', message: `Connection reference '${c.logicalName}': settings say connector '${c.connectorId}' but the solution uses '${expected}'.` });
    }
  }
  for (const k of settings.unknownKeys) issues.push({ severity: 'warning', message: `Deployment settings key '${k}' is not part of the pac format and is ignored.` });
  return issues;
}

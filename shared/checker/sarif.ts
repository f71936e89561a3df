/**
 * Reading SARIF 2.1.0 written by the Power Apps checkers (protocol.md §9.8). Pure functions.
 *
 * Where the severity of a finding is read from, in order:
 *   1. results[].properties.severity  (solution checker)
 *   2. results[].properties.level     (app checker, canvas apps)
 *   3. rules[ruleIndex].properties.severity, then .level (the rule's default)
 *   4. results[].level                (standard SARIF: error→High, warning→Medium, note→Low, none→Informational)
 * A value that is present but not a known severity, or no value at all, is counted as Informational and listed
 * in `unknownSeverities`, so totals always add up and nothing is silently dropped (the caller shows a warning).
 */
import { UserError } from '../core';
import { addCounts, emptyCounts, parseSeverity, type Severity, type SeverityCounts } from './severity';

export type SeveritySource =
  | 'results[].properties.severity'
  | 'results[].properties.level'
  | 'rules[].properties.severity'
  | 'rules[].properties.level'
  | 'results[].level'
  | 'none';

export interface SarifFinding {
  ruleId: string;
  severity: Severity;
  /** Which field gave the severity. */
  severitySource: SeveritySource;
  /** The value as written, when it was not a known severity (counted as Informational). */
  unknownSeverity?: string;
  message: string;
  /** Artifact path (e.g. /solution/WebResources/new_script.js) or an address such as Screen1.OnVisible. */
  file?: string;
  line?: number;
  column?: number;
  /** e.g. the web resource or control name. */
  component?: string;
  category?: string;
  helpUri?: string;
  /** The SARIF file the finding came from, when the caller named it. */
  sarifFile?: string;
}

export interface SarifReport {
  findings: SarifFinding[];
  counts: SeverityCounts;
  /** How many findings took their severity from each field. */
  severitySources: Partial<Record<SeveritySource, number>>;
  /** Values that were not a known severity (or '(none)' when absent), with how often; each counted as Informational. */
  unknownSeverities: { value: string; count: number }[];
  /** Tool names of the runs (e.g. "PowerApps Checker", "PowerApps app checker"). */
  tools: string[];
  /** Invocations that reported executionSuccessful: false, with their notification messages. */
  executionFailures: string[];
}

export class SarifFormatError extends UserError {}

const RESULT_LEVELS: Record<string, Severity> = { error: 'High', warning: 'Medium', note: 'Low', none: 'Informational' };
const NO_SEVERITY = '(none)';

/** Parses one SARIF document (text or bytes, BOM tolerated). `fileName` names it in errors and findings. */
export function parseSarif(content: string | Buffer, fileName = 'SARIF file'): SarifReport {
  const text = (typeof content === 'string' ? content : content.toString('utf8')).replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SarifFormatError(`${fileName} is not valid JSON: ${(err as Error).message}.`, 'The checker result may be truncated; run the check again.');
  }
  if (!isRecord(doc) || !Array.isArray(doc.runs)) {
    throw new SarifFormatError(`${fileName} is not a SARIF log: it has no "runs" array.`, 'Expected SARIF 2.1.0 as written by the Power Apps checker.');
  }
  if (doc.version !== undefined && doc.version !== '2.1.0') {
    throw new SarifFormatError(`${fileName} is SARIF version ${JSON.stringify(doc.version)}; only 2.1.0 is supported.`);
  }
  const reports = doc.runs.map((run, i) => parseRun(run, `${fileName} runs[${i}]`, fileName));
  return mergeReports(reports);
}

export function mergeReports(reports: SarifReport[]): SarifReport {
  const merged: SarifReport = { findings: [], counts: emptyCounts(), severitySources: {}, unknownSeverities: [], tools: [], executionFailures: [] };
  const unknown = new Map<string, number>();
  for (const report of reports) {
    merged.findings.push(...report.findings);
    merged.counts = addCounts(merged.counts, report.counts);
    for (const [source, n] of Object.entries(report.severitySources) as [SeveritySource, number][]) {
      merged.severitySources[source] = (merged.severitySources[source] ?? 0) + n;
    }
    for (const u of report.unknownSeverities) unknown.set(u.value, (unknown.get(u.value) ?? 0) + u.count);
    for (const tool of report.tools) if (!merged.tools.includes(tool)) merged.tools.push(tool);
    merged.executionFailures.push(...report.executionFailures);
  }
  merged.unknownSeverities = [...unknown].map(([value, count]) => ({ value, count }));
  return merged;
}

/** One line saying which field(s) the severities came from, e.g. for the log and the summary. */
export function describeSeveritySources(report: SarifReport): string {
  const entries = Object.entries(report.severitySources) as [SeveritySource, number][];
  if (entries.length === 0) return 'No findings, so no severity field was read.';
  const label: Record<SeveritySource, string> = {
    'results[].properties.severity': 'results[].properties.severity (solution checker)',
    'results[].properties.level': 'results[].properties.level (app checker)',
    'rules[].properties.severity': "rules[].properties.severity (the rule's default)",
    'rules[].properties.level': "rules[].properties.level (the rule's default)",
    'results[].level': 'results[].level (standard SARIF level)',
    none: 'no severity field (counted as Informational)',
  };
  return `Severity read from ${entries.map(([source, n]) => `${label[source]} for ${n} finding${n === 1 ? '' : 's'}`).join('; ')}.`;
}

interface RuleInfo {
  severity?: unknown;
  level?: unknown;
  category?: string;
  helpUri?: string;
  messageStrings: Record<string, string>;
}

function parseRun(run: unknown, where: string, fileName: string): SarifReport {
  if (!isRecord(run)) throw new SarifFormatError(`${where} is not an object.`);
  const driver = isRecord(run.tool) && isRecord(run.tool.driver) ? run.tool.driver : {};
  const rules = (Array.isArray(driver.rules) ? driver.rules : []).map(readRule);
  const ruleById = new Map<string, RuleInfo>();
  (Array.isArray(driver.rules) ? driver.rules : []).forEach((rule, i) => {
    if (isRecord(rule) && typeof rule.id === 'string') ruleById.set(rule.id, rules[i]);
  });
  const artifacts = Array.isArray(run.artifacts) ? run.artifacts : [];
  const results = run.results === undefined ? [] : run.results;
  if (!Array.isArray(results)) throw new SarifFormatError(`${where}.results is not an array.`);

  const report: SarifReport = {
    findings: [],
    counts: emptyCounts(),
    severitySources: {},
    unknownSeverities: [],
    tools: typeof driver.name === 'string' ? [driver.name] : [],
    executionFailures: executionFailures(run),
  };
  const unknown = new Map<string, number>();
  for (const result of results) {
    if (!isRecord(result)) continue;
    const ruleId = typeof result.ruleId === 'string' ? result.ruleId : isRecord(result.rule) && typeof result.rule.id === 'string' ? result.rule.id : '(no rule id)';
    const rule = (typeof result.ruleIndex === 'number' ? rules[result.ruleIndex] : undefined) ?? ruleById.get(ruleId);
    const severity = readSeverity(result, rule);
    report.counts[severity.severity]++;
    report.severitySources[severity.source] = (report.severitySources[severity.source] ?? 0) + 1;
    if (severity.unknown !== undefined) unknown.set(severity.unknown, (unknown.get(severity.unknown) ?? 0) + 1);
    report.findings.push({
      ruleId,
      severity: severity.severity,
      severitySource: severity.source,
      ...(severity.unknown !== undefined ? { unknownSeverity: severity.unknown } : {}),
      message: messageText(result.message, rule) ?? ruleId,
      ...location(result.locations, artifacts),
      category: rule?.category,
      helpUri: rule?.helpUri,
      sarifFile: fileName,
    });
  }
  report.unknownSeverities = [...unknown].map(([value, count]) => ({ value, count }));
  return report;
}

function readRule(rule: unknown): RuleInfo {
  if (!isRecord(rule)) return { messageStrings: {} };
  const props = isRecord(rule.properties) ? rule.properties : {};
  const messageStrings: Record<string, string> = {};
  if (isRecord(rule.messageStrings)) {
    for (const [id, value] of Object.entries(rule.messageStrings)) {
      if (isRecord(value) && typeof value.text === 'string') messageStrings[id] = value.text;
    }
  }
  return {
    severity: props.severity,
    level: props.level,
    category: typeof props.primaryCategory === 'string' ? props.primaryCategory : undefined,
    helpUri: typeof rule.helpUri === 'string' ? rule.helpUri : undefined,
    messageStrings,
  };
}

function readSeverity(result: Record<string, unknown>, rule: RuleInfo | undefined): { severity: Severity; source: SeveritySource; unknown?: string } {
  const props = isRecord(result.properties) ? result.properties : {};
  const candidates: [SeveritySource, unknown][] = [
    ['results[].properties.severity', props.severity],
    ['results[].properties.level', props.level],
    ['rules[].properties.severity', rule?.severity],
    ['rules[].properties.level', rule?.level],
  ];
  for (const [source, value] of candidates) {
    if (value === undefined || value === null || value === '') continue;
    const severity = parseSeverity(value);
    return severity ? { severity, source } : { severity: 'Informational', source, unknown: String(value) };
  }
  if (typeof result.level === 'string') {
    const severity = RESULT_LEVELS[result.level.toLowerCase()];
    return severity ? { severity, source: 'results[].level' } : { severity: 'Informational', source: 'results[].level', unknown: result.level };
  }
  return { severity: 'Informational', source: 'none', unknown: NO_SEVERITY };
}

/** message.text, else the rule's messageStrings[message.id] with {0}, {1}… filled from message.arguments. */
function messageText(message: unknown, rule: RuleInfo | undefined): string | undefined {
  if (!isRecord(message)) return undefined;
  if (typeof message.text === 'string' && message.text.trim() !== '') return message.text;
  const template = typeof message.id === 'string' ? rule?.messageStrings[message.id] : undefined;
  if (template === undefined) return undefined;
  const args = Array.isArray(message.arguments) ? message.arguments : [];
  return template.replace(/\{(\d+)\}/g, (whole, index: string) => (args[Number(index)] === undefined ? whole : String(args[Number(index)])));
}

function location(locations: unknown, artifacts: unknown[]): Pick<SarifFinding, 'file' | 'line' | 'column' | 'component'> {
  const first = Array.isArray(locations) ? locations.find(isRecord) : undefined;
  if (!first) return {};
  const physical = isRecord(first.physicalLocation) ? first.physicalLocation : {};
  const artifact = isRecord(physical.artifactLocation) ? physical.artifactLocation : undefined;
  let file = typeof artifact?.uri === 'string' ? artifact.uri : undefined;
  if (file === undefined && typeof artifact?.index === 'number') {
    const entry = artifacts[artifact.index];
    if (isRecord(entry) && isRecord(entry.location) && typeof entry.location.uri === 'string') file = entry.location.uri;
  }
  if (file === undefined && isRecord(physical.address) && typeof physical.address.fullyQualifiedName === 'string') {
    file = physical.address.fullyQualifiedName;
  }
  const region = isRecord(physical.region) ? physical.region : {};
  const logical = Array.isArray(first.logicalLocations) ? first.logicalLocations.find(isRecord) : undefined;
  return {
    ...(file !== undefined ? { file } : {}),
    ...(typeof region.startLine === 'number' ? { line: region.startLine } : {}),
    ...(typeof region.startColumn === 'number' ? { column: region.startColumn } : {}),
    ...(typeof logical?.fullyQualifiedName === 'string' ? { component: logical.fullyQualifiedName } : {}),
  };
}

function executionFailures(run: Record<string, unknown>): string[] {
  const invocations = Array.isArray(run.invocations) ? run.invocations : [];
  const failures: string[] = [];
  for (const invocation of invocations) {
    if (!isRecord(invocation) || invocation.executionSuccessful !== false) continue;
    const notes = Array.isArray(invocation.toolExecutionNotifications) ? invocation.toolExecutionNotifications : [];
    const texts = notes
      .map((n) => (isRecord(n) && isRecord(n.message) && typeof n.message.text === 'string' ? n.message.text : undefined))
      .filter((t): t is string => t !== undefined);
    failures.push(texts.length > 0 ? texts.join(' ') : 'The checker reported that the analysis did not complete successfully.');
  }
  return failures;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

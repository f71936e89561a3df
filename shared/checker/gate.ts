/**
 * The quality gate over checker findings. Pure functions.
 *
 * Two ways to say what is allowed, usable together (the stricter limit wins for each severity):
 * - `maxPerSeverity`: "fail if more than N at that severity", e.g. { critical: 0, high: 0, medium: 10 };
 *   severities left out are not limited.
 * - `atOrAbove` (Power Platform Build Tools' ErrorLevel/ErrorThreshold): "fail if the count at any severity at or
 *   above `level` is greater than `threshold`", each severity compared on its own (protocol.md §9.8).
 * An analysis that ended `Failed` or `FinishedWithErrors` fails the gate too, unless `failOnAnalysisErrors` is false
 * (then it is a warning), like Build Tools' FailOnPowerAppsCheckerAnalysisError.
 */
import { UserError } from '../core';
import { SEVERITIES, severityRank, type Severity, type SeverityCounts } from './severity';

export type SeverityKey = 'critical' | 'high' | 'medium' | 'low' | 'informational';
export type SeverityThresholds = Partial<Record<SeverityKey, number>>;

export interface GatePolicy {
  maxPerSeverity?: SeverityThresholds;
  atOrAbove?: { level: Severity; threshold: number };
  /** Default true. */
  failOnAnalysisErrors?: boolean;
}

/** How the checker run ended (status from the status API; `error` when it says why). */
export interface AnalysisOutcome {
  status: string;
  error?: string;
}

export interface GateBreach {
  /** Absent for a breach about the analysis itself. */
  severity?: Severity;
  found?: number;
  allowed?: number;
  /** Which setting set the limit that was exceeded. */
  source: 'maxPerSeverity' | 'atOrAbove' | 'analysisStatus';
  /** e.g. "High: 3 found, at most 0 allowed" */
  message: string;
}

export interface GateResult {
  passed: boolean;
  breaches: GateBreach[];
  warnings: string[];
  counts: SeverityCounts;
  /** The effective limit per severity (undefined = not limited). */
  limits: Record<Severity, number | undefined>;
}

export function severityKey(severity: Severity): SeverityKey {
  return severity.toLowerCase() as SeverityKey;
}

export function evaluateGate(counts: SeverityCounts, policy: GatePolicy, analysis?: AnalysisOutcome): GateResult {
  validatePolicy(policy);
  const limits: Record<Severity, number | undefined> = { Critical: undefined, High: undefined, Medium: undefined, Low: undefined, Informational: undefined };
  const sources = {} as Record<Severity, GateBreach['source']>;
  for (const severity of SEVERITIES) {
    const own = policy.maxPerSeverity?.[severityKey(severity)];
    const fromLevel = policy.atOrAbove && severityRank(severity) <= severityRank(policy.atOrAbove.level) ? policy.atOrAbove.threshold : undefined;
    if (own !== undefined && (fromLevel === undefined || own <= fromLevel)) {
      limits[severity] = own;
      sources[severity] = 'maxPerSeverity';
    } else if (fromLevel !== undefined) {
      limits[severity] = fromLevel;
      sources[severity] = 'atOrAbove';
    }
  }

  const breaches: GateBreach[] = [];
  const warnings: string[] = [];
  if (analysis && analysis.status !== 'Finished') {
    const text = analysisProblem(analysis);
    if (policy.failOnAnalysisErrors ?? true) breaches.push({ source: 'analysisStatus', message: text });
    else warnings.push(text);
  }
  for (const severity of SEVERITIES) {
    const allowed = limits[severity];
    const found = counts[severity];
    if (allowed !== undefined && found > allowed) {
      breaches.push({ severity, found, allowed, source: sources[severity], message: `${severity}: ${found} found, at most ${allowed} allowed` });
    }
  }
  return { passed: breaches.length === 0, breaches, warnings, counts: { ...counts }, limits };
}

/** One sentence for a failed gate ("Solution checker gate failed: High: 3 found, at most 0 allowed; …."). */
export function describeGate(result: GateResult): string {
  if (result.passed) return 'Solution checker gate passed.';
  return `Solution checker gate failed: ${result.breaches.map((b) => b.message).join('; ')}.`;
}

function analysisProblem(analysis: AnalysisOutcome): string {
  const why = analysis.error ? `: ${analysis.error}` : '';
  if (analysis.status === 'FinishedWithErrors') {
    return `The checker finished with errors (some rules could not run, so the report may be incomplete)${why}`;
  }
  return `The checker analysis ended with status '${analysis.status}'${why}`;
}

function validatePolicy(policy: GatePolicy): void {
  for (const [key, value] of Object.entries(policy.maxPerSeverity ?? {})) {
    if (!SEVERITIES.some((s) => severityKey(s) === key)) {
      throw new UserError(`Unknown severity '${key}' in the checker thresholds.`, `Use ${SEVERITIES.map(severityKey).join(', ')}.`);
    }
    checkCount(value, `The threshold for ${key}`);
  }
  if (policy.atOrAbove) {
    if (!SEVERITIES.includes(policy.atOrAbove.level)) {
      throw new UserError(`Unknown severity level '${String(policy.atOrAbove.level)}'.`, `Use one of ${SEVERITIES.join(', ')}.`);
    }
    checkCount(policy.atOrAbove.threshold, 'The error threshold');
  }
}

function checkCount(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new UserError(`${what} must be a whole number, 0 or more (got ${JSON.stringify(value)}).`);
  }
}

/**
 * Reads thresholds written as text (a task input): `critical=0, high=0, medium=10` (also `:` and newlines as
 * separators; names case-insensitive). An empty text means no per-severity limits.
 */
export function parseThresholds(text: string): SeverityThresholds {
  const thresholds: SeverityThresholds = {};
  for (const part of text.split(/[,;\n]/).map((p) => p.trim()).filter(Boolean)) {
    const match = /^([A-Za-z]+)\s*[=:]\s*(\S+)$/.exec(part);
    const severity = match ? SEVERITIES.find((s) => s.toLowerCase() === match[1].toLowerCase()) : undefined;
    if (!match || !severity) {
      throw new UserError(`Cannot read the threshold '${part}'.`, 'Write severity=count pairs such as "critical=0, high=0, medium=10".');
    }
    const count = /^\d+$/.test(match[2]) ? Number(match[2]) : NaN;
    if (!Number.isSafeInteger(count)) throw new UserError(`The threshold for ${severity} must be a whole number, 0 or more (got '${match[2]}').`);
    thresholds[severityKey(severity)] = count;
  }
  return thresholds;
}

const BUILD_TOOLS_LEVELS: Record<string, Severity> = {
  criticalissuecount: 'Critical',
  highissuecount: 'High',
  mediumissuecount: 'Medium',
  lowissuecount: 'Low',
  informationalissuecount: 'Informational',
};

/** A Build Tools ErrorLevel value (`HighIssueCount`) or a plain severity name (`High`) as a severity. */
export function parseErrorLevel(text: string): Severity {
  const key = text.trim().toLowerCase();
  const severity = BUILD_TOOLS_LEVELS[key] ?? SEVERITIES.find((s) => s.toLowerCase() === key);
  if (!severity) {
    throw new UserError(`Unknown error level '${text}'.`, `Use ${SEVERITIES.join(', ')} (or the Build Tools names such as HighIssueCount).`);
  }
  return severity;
}

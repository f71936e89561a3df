/** Markdown summary of a checker run for the pipeline's run summary tab. Pure function. */
import type { GateResult } from './gate';
import { describeSeveritySources, type SarifFinding, type SarifReport } from './sarif';
import { SEVERITIES, severityRank, totalCount } from './severity';

export interface SummaryInput {
  report: SarifReport;
  gate: GateResult;
  /** e.g. "Contoso_1_2_0_0.zip" */
  title?: string;
  /** Ruleset name, analysis status, correlation id… shown as a short key/value list. */
  details?: Record<string, string | undefined>;
  /** How many findings to list (most severe first). Default 20. */
  maxFindings?: number;
}

export function renderMarkdownSummary(input: SummaryInput): string {
  const { report, gate } = input;
  const maxFindings = input.maxFindings ?? 20;
  const lines: string[] = [];
  lines.push(`### Solution checker${input.title ? `: ${escapeText(input.title)}` : ''}`, '');
  lines.push(gate.passed ? '**Result: passed**' : '**Result: failed**', '');
  for (const breach of gate.breaches) lines.push(`- ❌ ${escapeText(breach.message)}`);
  for (const warning of gate.warnings) lines.push(`- ⚠️ ${escapeText(warning)}`);
  if (gate.breaches.length + gate.warnings.length > 0) lines.push('');

  const details = Object.entries(input.details ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  for (const [name, value] of details) lines.push(`- ${escapeText(name)}: ${escapeText(value)}`);
  if (details.length > 0) lines.push('');

  lines.push('| Severity | Found | Allowed |', '|---|---:|---:|');
  for (const severity of SEVERITIES) {
    const allowed = gate.limits[severity];
    const over = allowed !== undefined && gate.counts[severity] > allowed;
    lines.push(`| ${severity} | ${over ? `**${gate.counts[severity]}**` : gate.counts[severity]} | ${allowed === undefined ? '—' : allowed} |`);
  }
  lines.push(`| **Total** | ${totalCount(gate.counts)} | |`, '');

  lines.push(`_${escapeText(describeSeveritySources(report))}_`);
  if (report.unknownSeverities.length > 0) {
    const values = report.unknownSeverities.map((u) => `'${u.value}' ×${u.count}`).join(', ');
    lines.push('', `⚠️ Unrecognised severity values counted as Informational: ${escapeText(values)}.`);
  }
  for (const failure of report.executionFailures) lines.push('', `⚠️ ${escapeText(failure)}`);
  lines.push('');

  if (report.findings.length > 0) {
    const top = topFindings(report.findings, maxFindings);
    lines.push(`#### ${top.length === report.findings.length ? 'Findings' : `Top ${top.length} of ${report.findings.length} findings`}`, '');
    lines.push('| Severity | Rule | File | Line | Message |', '|---|---|---|---:|---|');
    for (const f of top) {
      const rule = f.helpUri ? `[${escapeCell(f.ruleId)}](${f.helpUri.replace(/[()\s]/g, encodeURIComponent)})` : escapeCell(f.ruleId);
      lines.push(`| ${f.severity} | ${rule} | ${escapeCell(f.file ?? f.component ?? '')} | ${f.line ?? ''} | ${escapeCell(f.message)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Most severe first; within a severity, by file and line (stable for equal keys). */
export function topFindings(findings: SarifFinding[], max: number): SarifFinding[] {
  return [...findings]
    .sort((a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0))
    .slice(0, max);
}

/** Text inside a table cell: no pipes or line breaks, Markdown/HTML specials escaped, length bounded. */
function escapeCell(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const bounded = oneLine.length > 300 ? `${oneLine.slice(0, 297)}...` : oneLine;
  return escapeText(bounded).replace(/\|/g, '\\|');
}

function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
}

/** Turning a checker run's downloaded results into one report, cross-checked with the service's issue summary. */
import type { IssueSummary, ResultFile } from './client';
import { mergeReports, parseSarif, type SarifReport } from './sarif';
import { SEVERITIES, type SeverityCounts } from './severity';

/** Every SARIF file of every result zip, parsed and merged (each finding names the SARIF file it came from). */
export function reportFromResults(results: ResultFile[]): SarifReport {
  return mergeReports(results.flatMap((result) => result.sarifFiles.map((file) => parseSarif(file.content, file.name))));
}

const SUMMARY_FIELDS: Record<(typeof SEVERITIES)[number], keyof IssueSummary> = {
  Critical: 'criticalIssueCount',
  High: 'highIssueCount',
  Medium: 'mediumIssueCount',
  Low: 'lowIssueCount',
  Informational: 'informationalIssueCount',
};

/** Says where the status API's issueSummary and the SARIF counts disagree; undefined when they agree (or no summary). */
export function compareWithIssueSummary(counts: SeverityCounts, summary: IssueSummary | undefined): string | undefined {
  if (!summary) return undefined;
  const differences = SEVERITIES
    .filter((s) => typeof summary[SUMMARY_FIELDS[s]] === 'number' && summary[SUMMARY_FIELDS[s]] !== counts[s])
    .map((s) => `${s} ${summary[SUMMARY_FIELDS[s]]} in the summary, ${counts[s]} in the SARIF`);
  return differences.length === 0 ? undefined : `The checker's issue summary and its SARIF results differ: ${differences.join('; ')}. The gate uses the SARIF counts.`;
}

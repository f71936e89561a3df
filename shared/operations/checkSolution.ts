/**
 * solution-checker (DataverseSolutionChecker): one Power Apps checker run over one or more solution zips, the
 * SARIF results written to an output folder (for a CodeAnalysisLogs artifact), the quality gate evaluated, and a
 * Markdown summary attached to the run. The result says whether the gate passed; the caller fails the task.
 */
import * as path from 'node:path';
import { UserError } from '../core';
import {
  compareWithIssueSummary, describeGate, describeSeveritySources, emptyCounts, evaluateGate, renderMarkdownSummary, reportFromResults, SEVERITIES,
  type CheckerClient, type GateBreach, type GatePolicy, type SeverityCounts,
} from '../checker';
import { writeSarifFiles } from './check/sarif-output';
import type { Reporter } from './reporter';

export interface CheckSolutionOptions {
  /** Solution zips to analyze together (each at most 30 MB). */
  files: string[];
  /** Where the SARIF files go (e.g. `$(Build.ArtifactStagingDirectory)/CodeAnalysisLogs`). */
  outputFolder: string;
  /** Ruleset GUID or name; default Solution Checker. Ignored when ruleCodes is given. */
  ruleset?: string;
  ruleCodes?: string[];
  /** Wildcard patterns of files to leave out, e.g. `*jquery*`. */
  fileExclusions?: string[];
  /**
   * maxPerSeverity and/or atOrAbove (see shared/checker parseThresholds / parseErrorLevel); failOnAnalysisErrors
   * (default true) decides whether a Failed or FinishedWithErrors analysis fails the gate or only warns.
   */
  gate: GatePolicy;
  /** Give up waiting after this long (the analysis keeps running on the service). Default 60 min. */
  maxWaitMs?: number;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
}

export interface CheckDependencies {
  checker: CheckerClient;
}

export interface CheckSolutionResult {
  passed: boolean;
  /** One sentence: "Solution checker gate passed." or "… failed: High: 3 found, at most 0 allowed; …." */
  message: string;
  counts: SeverityCounts;
  totalFindings: number;
  breaches: GateBreach[];
  warnings: string[];
  /** Finished, FinishedWithErrors, Failed, … as the service reported it. */
  analysisStatus: string;
  correlationId: string;
  ruleset?: string;
  sarifFiles: string[];
}

export async function checkSolution(options: CheckSolutionOptions, deps: CheckDependencies, reporter: Reporter): Promise<CheckSolutionResult> {
  if (options.files.length === 0) {
    throw new UserError('No solution file was given to the checker.', "Set 'solutionFiles' to one or more solution zips (e.g. the output of the export task).");
  }
  // Checked before the run: a threshold typo should not cost a 10-minute analysis.
  evaluateGate(emptyCounts(), options.gate);
  const names = options.files.map((f) => path.basename(f));

  const run = await reporter.group(`Analyze ${names.join(', ')}`, async () => {
    reporter.progress(5, 'Uploading to the checker');
    let lastStatus = '';
    const result = await deps.checker.run({
      files: options.files,
      ruleset: options.ruleset,
      ruleCodes: options.ruleCodes,
      fileExclusions: options.fileExclusions,
      maxWaitMs: options.maxWaitMs,
      pollIntervalMs: options.pollIntervalMs,
      maxPollIntervalMs: options.maxPollIntervalMs,
      signal: reporter.signal,
      onProgress: (p) => {
        reporter.progress(10 + Math.round(p.progress * 0.8), `Checker: ${p.status} ${p.progress}%`);
        if (p.status !== lastStatus) {
          lastStatus = p.status;
          reporter.info(`Analysis ${p.status} (${Math.round(p.elapsedMs / 1000)} s).`);
        }
      },
    });
    reporter.info(`Analysis ended with status ${result.status}${result.ruleset ? ` (ruleset ${result.ruleset.name})` : ''}; correlation id ${result.correlationId}.`);
    if (result.error) reporter.warn(`The checker said: ${result.error}`);
    return result;
  });

  const report = reportFromResults(run.results);
  const gate = evaluateGate(report.counts, options.gate, { status: run.status, error: run.error });
  const mismatch = compareWithIssueSummary(report.counts, run.issueSummary);

  const sarifFiles = await reporter.group('Results', async () => {
    const written = await writeSarifFiles(options.outputFolder, run.results);
    for (const file of written) reporter.info(`SARIF: ${file}`);
    if (written.length === 0) reporter.warn(`The checker returned no SARIF file (analysis status ${run.status}).`);
    reporter.info(`Findings: ${SEVERITIES.map((s) => `${s} ${report.counts[s]}`).join(', ')}.`);
    reporter.debug(describeSeveritySources(report));
    if (mismatch) reporter.warn(mismatch);
    for (const warning of gate.warnings) reporter.warn(warning);
    for (const breach of gate.breaches) reporter.info(`Gate breach: ${breach.message}.`);
    return written;
  });

  reporter.addSummary('Solution checker', renderMarkdownSummary({
    report,
    gate,
    title: names.join(', '),
    details: {
      Ruleset: run.ruleset?.name ?? (options.ruleCodes?.length ? `rules ${options.ruleCodes.join(', ')}` : undefined),
      'Analysis status': run.status,
      'Correlation id': run.correlationId,
      Warning: mismatch,
    },
  }));
  reporter.progress(100, gate.passed ? 'Gate passed' : 'Gate failed');

  return {
    passed: gate.passed,
    message: describeGate(gate),
    counts: gate.counts,
    totalFindings: report.findings.length,
    breaches: gate.breaches,
    warnings: mismatch ? [...gate.warnings, mismatch] : gate.warnings,
    analysisStatus: run.status,
    correlationId: run.correlationId,
    ruleset: run.ruleset?.name,
    sarifFiles,
  };
}


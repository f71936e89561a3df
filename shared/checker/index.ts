export {
  CheckerClient, MAX_UPLOAD_BYTES,
  type AnalysisRun, type AnalysisStatus, type AnalyzeRequest, type CheckerClientOptions, type CheckerRule, type IssueSummary,
  type PollProgress, type ResultFile, type RunOptions, type WaitOptions,
} from './client';
export { CheckerError, CheckerWaitError } from './errors';
export { CHECKER_GEOGRAPHIES, endpointForEnvironment, resolveCheckerEndpoint, type CheckerEndpoint, type CheckerEndpointInput } from './geography';
export { APPSOURCE_CERTIFICATION_RULESET, resolveRuleset, SOLUTION_CHECKER_RULESET, WELL_KNOWN_RULESETS, type Ruleset } from './rulesets';
export { DEFAULT_RESULT_ZIP_LIMITS, extractSarifFiles, type ResultZipLimits, type SarifFile } from './result-zip';
export {
  describeSeveritySources, mergeReports, parseSarif, SarifFormatError,
  type SarifFinding, type SarifReport, type SeveritySource,
} from './sarif';
export {
  describeGate, evaluateGate, parseErrorLevel, parseThresholds, severityKey,
  type AnalysisOutcome, type GateBreach, type GatePolicy, type GateResult, type SeverityKey, type SeverityThresholds,
} from './gate';
export { renderMarkdownSummary, topFindings, type SummaryInput } from './summary';
export { emptyCounts, parseSeverity, SEVERITIES, severityRank, totalCount, type Severity, type SeverityCounts } from './severity';
export { compareWithIssueSummary, reportFromResults } from './run-report';

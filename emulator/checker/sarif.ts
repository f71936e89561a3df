/**
 * The SARIF 2.1.0 log of one analyzed file, in the shape of a real PowerApps Checker result (protocol.md §9.8):
 * severity in results[].properties.severity (and originalSeverity/caLevel), every rule of the ruleset in
 * tool.driver.rules with its properties, invocations, artifacts, automationDetails; no result.level.
 * The issue summary is counted from the same findings, so the two always agree.
 */
import type { AnalyzedFile } from './analysis';
import { helpUri, type EmulatedRule, type EmulatedSeverity } from './rules';

export interface IssueSummary {
  criticalIssueCount: number;
  highIssueCount: number;
  mediumIssueCount: number;
  lowIssueCount: number;
  informationalIssueCount: number;
}

export interface SarifOptions {
  rules: EmulatedRule[];
  correlationId: string;
  startTime: Date;
  endTime: Date;
  /** FinishedWithErrors: the invocation says it did not fully succeed, naming the rules that failed. */
  failedRules?: string[];
}

const SUMMARY_FIELD: Record<EmulatedSeverity, keyof IssueSummary> = {
  Critical: 'criticalIssueCount',
  High: 'highIssueCount',
  Medium: 'mediumIssueCount',
  Low: 'lowIssueCount',
  Informational: 'informationalIssueCount',
};

export function emptySummary(): IssueSummary {
  return { informationalIssueCount: 0, lowIssueCount: 0, mediumIssueCount: 0, highIssueCount: 0, criticalIssueCount: 0 };
}

export function issueSummaryOf(files: AnalyzedFile[]): IssueSummary {
  const summary = emptySummary();
  for (const file of files) for (const finding of file.findings) summary[SUMMARY_FIELD[finding.rule.severity]]++;
  return summary;
}

export function buildSarif(file: AnalyzedFile, options: SarifOptions): Record<string, unknown> {
  const ruleIndex = new Map(options.rules.map((r, i) => [r.code, i]));
  const artifactIndex = new Map(file.artifacts.map((a, i) => [a.uri, i]));
  const severityProps = (severity: EmulatedSeverity): Record<string, string> => ({ originalSeverity: severity, severity, caLevel: severity });
  const failed = options.failedRules ?? [];
  return {
    $schema: 'https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0-rtm.4.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'PowerApps Checker',
          organization: 'Microsoft',
          product: 'PowerApps Checker',
          productSuite: 'PowerApps',
          informationUri: 'https://docs.microsoft.com/powerapps/maker/common-data-service/use-powerapps-checker',
          rules: options.rules.map((r) => ({
            id: r.code,
            helpUri: helpUri(r.code),
            messageStrings: { message1: { text: r.summary } },
            properties: { componentType: r.componentType, primaryCategory: r.primaryCategory, ...severityProps(r.severity) },
          })),
        },
      },
      invocations: [{
        startTimeUtc: options.startTime.toISOString(),
        endTimeUtc: options.endTime.toISOString(),
        executionSuccessful: failed.length === 0,
        ...(failed.length > 0
          ? { toolExecutionNotifications: failed.map((code) => ({ level: 'error', message: { text: `Rule ${code} failed to run; its results are missing.` } })) }
          : {}),
      }],
      artifacts: file.artifacts.map((a) => ({ location: { uri: a.uri }, length: a.length })),
      results: file.findings.map((f) => ({
        ruleId: f.rule.code,
        ruleIndex: ruleIndex.get(f.rule.code),
        message: { text: f.message, id: 'message1' },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: f.uri, index: artifactIndex.get(f.uri) },
            ...(f.line !== undefined ? { region: { startLine: f.line, startColumn: f.column ?? 1 } } : {}),
          },
          logicalLocations: [{ fullyQualifiedName: f.component }],
        }],
        properties: severityProps(f.rule.severity),
      })),
      automationDetails: { correlationGuid: options.correlationId },
      columnKind: 'utf16CodeUnits',
    }],
  };
}

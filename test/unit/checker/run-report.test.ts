import * as assert from 'node:assert/strict';
import { compareWithIssueSummary, emptyCounts, reportFromResults } from '../../../shared/checker';

const sarif = (severity: string): Buffer => Buffer.from(JSON.stringify({
  version: '2.1.0',
  runs: [{ tool: { driver: { name: 'PowerApps Checker' } }, results: [{ ruleId: 'r', message: { text: 'm' }, properties: { severity } }] }],
}));

describe('checker run report', () => {
  it('merges every SARIF file of every result zip, naming the file of each finding', () => {
    const report = reportFromResults([
      { uri: 'a', sarifFiles: [{ name: 'A.sarif', content: sarif('High') }] },
      { uri: 'b', sarifFiles: [{ name: 'B.sarif', content: sarif('Low') }, { name: 'C.sarif', content: sarif('High') }] },
    ]);
    assert.deepEqual(report.counts, { ...emptyCounts(), High: 2, Low: 1 });
    assert.deepEqual(report.findings.map((f) => f.sarifFile), ['A.sarif', 'B.sarif', 'C.sarif']);
  });

  it('says where the issue summary and the SARIF counts differ', () => {
    const summary = { criticalIssueCount: 0, highIssueCount: 2, mediumIssueCount: 0, lowIssueCount: 1, informationalIssueCount: 0 };
    assert.equal(compareWithIssueSummary({ ...emptyCounts(), High: 2, Low: 1 }, summary), undefined);
    assert.equal(compareWithIssueSummary(emptyCounts(), undefined), undefined);
    assert.equal(
      compareWithIssueSummary({ ...emptyCounts(), High: 1, Low: 1 }, summary),
      "The checker's issue summary and its SARIF results differ: High 2 in the summary, 1 in the SARIF. The gate uses the SARIF counts.",
    );
  });
});

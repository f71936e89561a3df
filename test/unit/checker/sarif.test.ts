import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeSeveritySources, mergeReports, parseSarif, SarifFormatError } from '../../../shared/checker';
import { corpusDir } from '../../helpers/paths';

/** A solution-checker style log (severity in results[].properties.severity, as protocol.md §9.8). */
function solutionCheckerLog(): Record<string, unknown> {
  return {
    $schema: 'https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0-rtm.4.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'PowerApps Checker',
          rules: [
            { id: 'web-avoid-eval', helpUri: 'http://go.microsoft.com/fwlink/?LinkID=398563&error=web-avoid-eval', properties: { severity: 'High', primaryCategory: 'Security' } },
            { id: 'meta-remove-inactive', messageStrings: { message1: { text: "Process '{0}' is inactive in {1}." } }, properties: { severity: 'Low' } },
            { id: 'web-use-client-context', properties: { severity: 'Medium' } },
          ],
        },
      },
      invocations: [{ executionSuccessful: true }],
      artifacts: [{ location: { uri: '/solution.zip' } }, { location: { uri: '/solution/WebResources/new_a.js' } }],
      results: [
        {
          ruleId: 'web-avoid-eval', ruleIndex: 0, message: { text: 'Avoid eval.' },
          locations: [{ physicalLocation: { artifactLocation: { uri: '/solution/WebResources/new_a.js', index: 1 }, region: { startLine: 5, startColumn: 16 } }, logicalLocations: [{ fullyQualifiedName: 'new_a' }] }],
          properties: { originalSeverity: 'High', severity: 'High', caLevel: 'High' },
        },
        {
          ruleId: 'meta-remove-inactive', ruleIndex: 1, message: { id: 'message1', arguments: ['Old flow', 'Contoso'] },
          locations: [{ physicalLocation: { artifactLocation: { index: 1 } } }],
          properties: {},
        },
        { ruleId: 'web-use-client-context', message: { text: 'Use client context.' }, properties: { severity: 'critical' } },
      ],
    }],
  };
}

describe('SARIF reading', () => {
  it('reads solution-checker severities from results[].properties.severity, with locations and messages', () => {
    const report = parseSarif(JSON.stringify(solutionCheckerLog()), 'a.sarif');
    assert.deepEqual(report.counts, { Critical: 1, High: 1, Medium: 0, Low: 1, Informational: 0 });
    assert.deepEqual(report.severitySources, { 'results[].properties.severity': 2, 'rules[].properties.severity': 1 });
    assert.deepEqual(report.tools, ['PowerApps Checker']);
    const [evalFinding, inactive, context] = report.findings;
    assert.deepEqual(evalFinding, {
      ruleId: 'web-avoid-eval', severity: 'High', severitySource: 'results[].properties.severity', message: 'Avoid eval.',
      file: '/solution/WebResources/new_a.js', line: 5, column: 16, component: 'new_a', category: 'Security',
      helpUri: 'http://go.microsoft.com/fwlink/?LinkID=398563&error=web-avoid-eval', sarifFile: 'a.sarif',
    });
    assert.equal(inactive.severity, 'Low', "falls back to the rule's severity");
    assert.equal(inactive.message, "Process 'Old flow' is inactive in Contoso.", 'messageStrings with arguments');
    assert.equal(inactive.file, '/solution/WebResources/new_a.js', 'artifact by index');
    assert.equal(context.severity, 'Critical', 'values are read case-insensitively');
    assert.match(describeSeveritySources(report), /results\[\]\.properties\.severity \(solution checker\) for 2 findings/);
  });

  it('reads app-checker severities from results[].properties.level and says so', () => {
    const log = {
      version: '2.1.0',
      runs: [{
        tool: { driver: { name: 'PowerApps app checker', rules: [{ id: 'acc-Label', messageStrings: { issue: { text: 'Missing label on {0}' } }, properties: { level: 'Medium' } }] } },
        results: [
          { ruleId: 'acc-Label', ruleIndex: 0, message: { id: 'issue', arguments: ['Button1'] }, properties: { level: 'Low' },
            locations: [{ physicalLocation: { address: { fullyQualifiedName: 'Screen1.Button1' } } }] },
          { ruleId: 'acc-Label', ruleIndex: 0, message: { id: 'issue' } },
        ],
      }],
    };
    const report = parseSarif(Buffer.from(`\uFEFF${JSON.stringify(log)}`), 'app.sarif');
    assert.deepEqual(report.counts, { Critical: 0, High: 0, Medium: 1, Low: 1, Informational: 0 });
    assert.deepEqual(report.severitySources, { 'results[].properties.level': 1, 'rules[].properties.level': 1 });
    assert.equal(report.findings[0].message, 'Missing label on Button1');
    assert.equal(report.findings[0].file, 'Screen1.Button1');
    assert.match(describeSeveritySources(report), /results\[\]\.properties\.level \(app checker\) for 1 finding;/);
  });

  it('uses the standard result.level only as a last resort, and counts unknown or missing severities as Informational', () => {
    const log = {
      version: '2.1.0',
      runs: [{
        tool: { driver: { name: 'x' } },
        results: [
          { ruleId: 'a', level: 'error', message: { text: 'a' } },
          { ruleId: 'b', level: 'note', message: { text: 'b' } },
          { ruleId: 'c', properties: { severity: 'Severe' }, message: { text: 'c' } },
          { ruleId: 'd', message: { text: 'd' } },
          { ruleId: 'e', properties: { severity: 'Severe' } },
        ],
      }],
    };
    const report = parseSarif(JSON.stringify(log));
    assert.deepEqual(report.counts, { Critical: 0, High: 1, Medium: 0, Low: 1, Informational: 3 });
    assert.deepEqual(report.unknownSeverities, [{ value: 'Severe', count: 2 }, { value: '(none)', count: 1 }]);
    assert.equal(report.findings[2].unknownSeverity, 'Severe');
    assert.equal(report.findings[4].message, 'e', 'no message: the rule id stands in');
  });

  it('reports invocations that did not succeed', () => {
    const log = { version: '2.1.0', runs: [{ invocations: [{ executionSuccessful: false, toolExecutionNotifications: [{ message: { text: 'Rule x failed.' } }] }], results: [] }] };
    assert.deepEqual(parseSarif(JSON.stringify(log)).executionFailures, ['Rule x failed.']);
  });

  it('merges reports from several files', () => {
    const a = parseSarif(JSON.stringify(solutionCheckerLog()), 'a.sarif');
    const b = parseSarif(JSON.stringify(solutionCheckerLog()), 'b.sarif');
    const merged = mergeReports([a, b]);
    assert.equal(merged.findings.length, 6);
    assert.equal(merged.counts.High, 2);
    assert.deepEqual(merged.severitySources, { 'results[].properties.severity': 4, 'rules[].properties.severity': 2 });
    assert.deepEqual(merged.tools, ['PowerApps Checker']);
  });

  it('refuses what is not SARIF 2.1.0, naming the file', () => {
    assert.throws(() => parseSarif('{ truncated', 'r.sarif'), (err: unknown) => err instanceof SarifFormatError && /r\.sarif is not valid JSON/.test(err.message));
    assert.throws(() => parseSarif('{"version":"2.1.0"}', 'r.sarif'), /no "runs" array/);
    assert.throws(() => parseSarif('{"version":"1.0.0","runs":[]}', 'r.sarif'), /version "1\.0\.0"/);
    assert.throws(() => parseSarif('{"version":"2.1.0","runs":[{"results":{}}]}', 'r.sarif'), /results is not an array/);
  });

  const corpus = corpusDir();
  const sarifFolder = corpus ? path.join(corpus, 'sarif') : undefined;
  if (!sarifFolder || !fs.existsSync(sarifFolder)) {
    it('corpus SARIF: skipped, no corpus sarif/ folder (set DATAVERSE_CORPUS or place ../shared/corpus)', () => {
      console.log('      skipped: no corpus sarif/ folder (set DATAVERSE_CORPUS or place ../shared/corpus)');
    });
    return;
  }

  it('parses the real app-checker SARIF files of the corpus', () => {
    const folder: string = sarifFolder;
    const files = fs.readdirSync(folder).filter((f) => f.endsWith('.sarif'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const raw = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8').replace(/^\uFEFF/, '')) as { runs: { results?: { properties?: { level?: string } }[] }[] };
      const expected: Record<string, number> = {};
      for (const run of raw.runs) for (const r of run.results ?? []) expected[r.properties?.level ?? '?'] = (expected[r.properties?.level ?? '?'] ?? 0) + 1;
      const report = parseSarif(fs.readFileSync(path.join(folder, file)), file);
      const total = Object.values(expected).reduce((n, c) => n + c, 0);
      assert.equal(report.findings.length, total, file);
      assert.deepEqual(report.severitySources, { 'results[].properties.level': total }, file);
      for (const [level, n] of Object.entries(expected)) assert.equal(report.counts[level as 'Low'], n, `${file}: ${level}`);
      assert.deepEqual(report.unknownSeverities, []);
      assert.ok(report.findings.every((f) => f.message !== f.ruleId && !/\{\d\}/.test(f.message)), `${file}: messages come from messageStrings`);
    }
  });
});

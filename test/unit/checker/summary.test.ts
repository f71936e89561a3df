import * as assert from 'node:assert/strict';
import { emptyCounts, evaluateGate, parseSarif, renderMarkdownSummary, topFindings } from '../../../shared/checker';

function report(results: { ruleId: string; severity?: string; level?: string; file?: string; line?: number; text: string }[]): ReturnType<typeof parseSarif> {
  return parseSarif(JSON.stringify({
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'PowerApps Checker', rules: [{ id: 'web-avoid-eval', helpUri: 'http://go.microsoft.com/fwlink/?LinkID=398563&error=web-avoid-eval' }] } },
      results: results.map((r) => ({
        ruleId: r.ruleId,
        message: { text: r.text },
        properties: r.severity ? { severity: r.severity } : r.level ? { level: r.level } : {},
        locations: r.file ? [{ physicalLocation: { artifactLocation: { uri: r.file }, region: r.line ? { startLine: r.line } : undefined } }] : [],
      })),
    }],
  }));
}

describe('checker Markdown summary', () => {
  it('shows the verdict, breaches, a counts table with limits and the top findings', () => {
    const r = report([
      { ruleId: 'web-remove-console', severity: 'Medium', file: '/s/WebResources/b.js', line: 2, text: 'console' },
      { ruleId: 'web-avoid-eval', severity: 'High', file: '/s/WebResources/a.js', line: 5, text: 'Avoid eval | really' },
      { ruleId: 'web-remove-todo-comments', severity: 'Informational', file: '/s/WebResources/a.js', line: 1, text: 'todo' },
    ]);
    const gate = evaluateGate(r.counts, { maxPerSeverity: { high: 0, medium: 5 } });
    const md = renderMarkdownSummary({ report: r, gate, title: 'Contoso_1_0_0_0.zip', details: { Ruleset: 'Solution Checker', 'Correlation id': 'abc', Empty: undefined } });
    const lines = md.split('\n');
    assert.equal(lines[0], '### Solution checker: Contoso\\_1\\_0\\_0\\_0.zip');
    assert.ok(lines.includes('**Result: failed**'));
    assert.ok(lines.includes('- ❌ High: 1 found, at most 0 allowed'));
    assert.ok(lines.includes('- Ruleset: Solution Checker'));
    assert.ok(!md.includes('Empty'));
    assert.ok(lines.includes('| High | **1** | 0 |'));
    assert.ok(lines.includes('| Medium | 1 | 5 |'));
    assert.ok(lines.includes('| Low | 0 | — |'));
    assert.ok(lines.includes('| **Total** | 3 | |'));
    const rows = lines.filter((l) => /^\| (High|Medium|Informational) \| .*\| .* \| \d* \|/.test(l) && l.split('|').length > 6);
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^\| High \| \[web-avoid-eval\]\(http:\/\/go\.microsoft\.com\/fwlink\/\?LinkID=398563&error=web-avoid-eval\) \| \/s\/WebResources\/a\.js \| 5 \| Avoid eval \\\| really \|$/);
    assert.match(rows[1], /^\| Medium \| web-remove-console /);
    assert.match(rows[2], /^\| Informational \| web-remove-todo-comments /);
  });

  it('caps the list, notes unknown severities and which field was read', () => {
    const r = report([
      { ruleId: 'a', level: 'Low', text: 'x' },
      { ruleId: 'b', level: 'Weird', text: 'y' },
      { ruleId: 'c', level: 'Low', text: 'z' },
    ]);
    const md = renderMarkdownSummary({ report: r, gate: evaluateGate(r.counts, {}), maxFindings: 2 });
    assert.match(md, /\*\*Result: passed\*\*/);
    assert.match(md, /#### Top 2 of 3 findings/);
    assert.match(md, /Unrecognised severity values counted as Informational: 'Weird' ×1/);
    assert.ok(md.includes('properties.level (app checker) for 3 findings'));
  });

  it('with no findings, has no findings table', () => {
    const r = report([]);
    const md = renderMarkdownSummary({ report: r, gate: evaluateGate(emptyCounts(), {}) });
    assert.doesNotMatch(md, /Findings/);
    assert.match(md, /No findings/);
  });

  it('orders findings by severity, then file and line', () => {
    const r = report([
      { ruleId: 'x', severity: 'Low', file: 'a', line: 1, text: '' },
      { ruleId: 'y', severity: 'High', file: 'b', line: 9, text: '' },
      { ruleId: 'z', severity: 'High', file: 'b', line: 2, text: '' },
    ]);
    assert.deepEqual(topFindings(r.findings, 10).map((f) => f.ruleId), ['z', 'y', 'x']);
  });
});

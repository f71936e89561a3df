import * as assert from 'node:assert/strict';
import { describeGate, emptyCounts, evaluateGate, parseErrorLevel, parseThresholds, type SeverityCounts } from '../../../shared/checker';
import { UserError } from '../../../shared/core';

function counts(partial: Partial<SeverityCounts>): SeverityCounts {
  return { ...emptyCounts(), ...partial };
}

describe('checker gate', () => {
  describe('per-severity thresholds ("fail if more than N")', () => {
    it('passes at the limit and fails above it, listing every breach', () => {
      const policy = { maxPerSeverity: { critical: 0, high: 0, medium: 10 } };
      assert.equal(evaluateGate(counts({ Medium: 10, Low: 500 }), policy).passed, true);
      const result = evaluateGate(counts({ Critical: 1, High: 3, Medium: 11, Low: 99 }), policy);
      assert.equal(result.passed, false);
      assert.deepEqual(result.breaches.map((b) => b.message), [
        'Critical: 1 found, at most 0 allowed',
        'High: 3 found, at most 0 allowed',
        'Medium: 11 found, at most 10 allowed',
      ]);
      assert.deepEqual(result.breaches.map((b) => [b.severity, b.found, b.allowed, b.source]), [
        ['Critical', 1, 0, 'maxPerSeverity'], ['High', 3, 0, 'maxPerSeverity'], ['Medium', 11, 10, 'maxPerSeverity'],
      ]);
      assert.deepEqual(result.limits, { Critical: 0, High: 0, Medium: 10, Low: undefined, Informational: undefined });
    });

    it('an empty policy passes anything', () => {
      assert.equal(evaluateGate(counts({ Critical: 100 }), {}).passed, true);
    });
  });

  describe('Build Tools form ("count at any level ≥ L exceeds T")', () => {
    it('checks every severity at or above the level against the threshold, each on its own', () => {
      const policy = { atOrAbove: { level: 'High' as const, threshold: 2 } };
      assert.equal(evaluateGate(counts({ Critical: 2, High: 2, Medium: 1000 }), policy).passed, true);
      const result = evaluateGate(counts({ Critical: 3, High: 1, Medium: 1000 }), policy);
      assert.deepEqual(result.breaches.map((b) => b.message), ['Critical: 3 found, at most 2 allowed']);
      assert.equal(result.breaches[0].source, 'atOrAbove');
    });

    it('matches the Build Tools default (HighIssueCount, threshold 0)', () => {
      const policy = { atOrAbove: { level: parseErrorLevel('HighIssueCount'), threshold: 0 } };
      assert.equal(evaluateGate(counts({ Medium: 5, Low: 5, Informational: 5 }), policy).passed, true);
      assert.equal(evaluateGate(counts({ High: 1 }), policy).passed, false);
      assert.equal(evaluateGate(counts({ Critical: 1 }), policy).passed, false);
    });

    it('combined with per-severity limits, the stricter limit wins', () => {
      const result = evaluateGate(counts({ Critical: 1, High: 4, Medium: 6 }), {
        maxPerSeverity: { critical: 5, medium: 5 },
        atOrAbove: { level: 'High', threshold: 3 },
      });
      assert.deepEqual(result.limits, { Critical: 3, High: 3, Medium: 5, Low: undefined, Informational: undefined });
      assert.deepEqual(result.breaches.map((b) => `${b.message} (${b.source})`), [
        'High: 4 found, at most 3 allowed (atOrAbove)',
        'Medium: 6 found, at most 5 allowed (maxPerSeverity)',
      ]);
    });
  });

  describe('analysis status', () => {
    it('fails on Failed and FinishedWithErrors by default, warns when told not to fail', () => {
      const failed = evaluateGate(emptyCounts(), {}, { status: 'Failed', error: 'AnalysisFailed: boom' });
      assert.equal(failed.passed, false);
      assert.equal(failed.breaches[0].source, 'analysisStatus');
      assert.match(failed.breaches[0].message, /status 'Failed': AnalysisFailed: boom/);
      const partial = evaluateGate(emptyCounts(), { failOnAnalysisErrors: false }, { status: 'FinishedWithErrors' });
      assert.equal(partial.passed, true);
      assert.match(partial.warnings[0], /finished with errors/);
      assert.equal(evaluateGate(emptyCounts(), {}, { status: 'Finished' }).passed, true);
    });
  });

  it('describes the verdict in one sentence', () => {
    assert.equal(describeGate(evaluateGate(emptyCounts(), {})), 'Solution checker gate passed.');
    assert.equal(
      describeGate(evaluateGate(counts({ High: 3 }), { maxPerSeverity: { high: 0 } })),
      'Solution checker gate failed: High: 3 found, at most 0 allowed.',
    );
  });

  it('refuses negative, fractional or unknown thresholds', () => {
    assert.throws(() => evaluateGate(emptyCounts(), { maxPerSeverity: { high: -1 } }), UserError);
    assert.throws(() => evaluateGate(emptyCounts(), { maxPerSeverity: { high: 1.5 } }), /whole number/);
    assert.throws(() => evaluateGate(emptyCounts(), { maxPerSeverity: { severe: 1 } as never }), /Unknown severity 'severe'/);
    assert.throws(() => evaluateGate(emptyCounts(), { atOrAbove: { level: 'Huge' as never, threshold: 0 } }), /Unknown severity level/);
  });

  describe('parsing inputs', () => {
    it('reads severity=count lists', () => {
      assert.deepEqual(parseThresholds('critical=0, High=0;medium: 10\ninformational = 7'), { critical: 0, high: 0, medium: 10, informational: 7 });
      assert.deepEqual(parseThresholds('  '), {});
      assert.throws(() => parseThresholds('high=-1'), /whole number/);
      assert.throws(() => parseThresholds('high'), /Cannot read the threshold 'high'/);
      assert.throws(() => parseThresholds('urgent=1'), /Cannot read the threshold/);
    });

    it('reads Build Tools ErrorLevel names and plain severities', () => {
      assert.equal(parseErrorLevel('CriticalIssueCount'), 'Critical');
      assert.equal(parseErrorLevel('informationalissuecount'), 'Informational');
      assert.equal(parseErrorLevel('medium'), 'Medium');
      assert.throws(() => parseErrorLevel('SevereIssueCount'), /Unknown error level/);
    });
  });
});

import * as assert from 'node:assert/strict';
import { APPSOURCE_CERTIFICATION_RULESET, resolveRuleset, SOLUTION_CHECKER_RULESET } from '../../../shared/checker';

describe('checker rulesets', () => {
  const noLookup = (): Promise<never> => Promise.reject(new Error('the listing must not be called'));

  it('resolves the well-known names and GUIDs without calling the service', async () => {
    assert.deepEqual(await resolveRuleset('Solution Checker', noLookup), SOLUTION_CHECKER_RULESET);
    assert.deepEqual(await resolveRuleset('solution-checker', noLookup), SOLUTION_CHECKER_RULESET);
    assert.deepEqual(await resolveRuleset('', noLookup), SOLUTION_CHECKER_RULESET);
    assert.deepEqual(await resolveRuleset('appsource certification', noLookup), APPSOURCE_CERTIFICATION_RULESET);
    assert.deepEqual(await resolveRuleset('{083A2EF5-7E0E-4754-9D88-9455142DC08B}', noLookup), APPSOURCE_CERTIFICATION_RULESET);
    assert.deepEqual(await resolveRuleset('12345678-1234-4234-8234-123456789ABC', noLookup), { id: '12345678-1234-4234-8234-123456789abc', name: '12345678-1234-4234-8234-123456789abc' });
  });

  it('looks other names up in the listing, and names the choices when absent', async () => {
    const list = (): Promise<{ id: string; name: string }[]> => Promise.resolve([{ id: 'AAAAAAAA-0000-4000-8000-000000000001', name: 'Custom Rules' }]);
    assert.deepEqual(await resolveRuleset('custom rules', list), { id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Custom Rules' });
    await assert.rejects(resolveRuleset('Other', list), /no ruleset named 'Other'.*'Custom Rules'/);
  });
});

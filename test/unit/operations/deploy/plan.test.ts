import * as assert from 'node:assert/strict';
import { planDeployment, type PlanInput } from '../../../../shared/operations/deploy/plan';
import { envVarValueProblem } from '../../../../shared/operations/deploy/settings';
import { deploymentSummary, describeOutcome, formatDuration } from '../../../../shared/operations/deploy/summary';

const ENV = 'https://contoso-test.crm.dynamics.com';

function input(extra: Partial<PlanInput> = {}): PlanInput {
  return {
    incoming: { uniqueName: 'Contoso', version: '1.2.0.0', managed: true },
    mode: 'auto', autoUpgradeMethod: 'upgrade', allowSameVersion: false, skipLowerVersion: false, allowUnmanaged: false, environment: ENV,
    ...extra,
  };
}

const installed = (version: string, managed = true) => ({ installed: { version, managed } });

describe('operations deploy planDeployment', () => {
  it('installs when not installed, in auto and install modes', () => {
    assert.equal(planDeployment(input()).step, 'install');
    assert.equal(planDeployment(input({ mode: 'install' })).step, 'install');
    assert.equal(planDeployment(input()).reason, 'installing 1.2.0.0 (not installed yet).');
  });

  it('upgrades an older managed version with the auto method, or with the explicit mode', () => {
    assert.equal(planDeployment(input(installed('1.1.0.0'))).step, 'upgrade');
    assert.equal(planDeployment(input({ ...installed('1.1.0.0'), autoUpgradeMethod: 'stageAndUpgrade' })).step, 'stageAndUpgrade');
    assert.equal(planDeployment(input({ ...installed('1.1.0.0'), autoUpgradeMethod: 'update' })).step, 'update');
    assert.equal(planDeployment(input({ ...installed('1.1.0.0'), mode: 'update' })).step, 'update');
    assert.equal(planDeployment(input({ ...installed('1.1.0.0'), mode: 'stageAndUpgrade' })).step, 'stageAndUpgrade');
    assert.match(planDeployment(input(installed('1.1.0.0'))).reason ?? '', /DeleteAndPromote .*, 1\.1\.0\.0 → 1\.2\.0\.0 \(mode auto, autoUpgradeMethod upgrade\)\.$/);
  });

  it('updates an unmanaged solution (when allowed): there is no upgrade of unmanaged solutions', () => {
    const unmanaged = { incoming: { uniqueName: 'Contoso', version: '1.2.0.0', managed: false }, allowUnmanaged: true };
    assert.equal(planDeployment(input({ ...unmanaged, ...installed('1.1.0.0', false) })).step, 'update');
    assert.equal(planDeployment(input({ ...unmanaged, ...installed('1.2.0.0', false), allowSameVersion: true })).step, 'update');
  });

  it('skips the same version, and refuses allowSameVersion for managed', () => {
    const same = planDeployment(input(installed('1.2.0.0')));
    assert.equal(same.step, undefined);
    assert.deepEqual(same.problems, []);
    assert.match(same.skipReason ?? '', /already installed/);
    const forced = planDeployment(input({ ...installed('1.2.0.0'), allowSameVersion: true }));
    assert.equal(forced.step, undefined);
    assert.match(forced.problems.join('\n'), /refuses to import the same version of an installed managed solution/);
  });

  it('refuses an older version (no downgrade exists) unless skipLowerVersion', () => {
    const older = planDeployment(input(installed('1.10.0.0')));
    assert.equal(older.step, undefined);
    assert.match(older.problems[0], /1\.2\.0\.0 \(managed\) is older than the installed 1\.10\.0\.0.*no downgrade/);
    const skipped = planDeployment(input({ ...installed('1.10.0.0'), skipLowerVersion: true }));
    assert.deepEqual(skipped.problems, []);
    assert.match(skipped.skipReason ?? '', /skipLowerVersion/);
  });

  it('lists every problem together', () => {
    const plan = planDeployment(input({
      incoming: { uniqueName: 'Contoso', version: '1.0.0.0', managed: false }, ...installed('2.0.0.0', true), mode: 'install',
    }));
    assert.equal(plan.problems.length, 4, plan.problems.join('\n'));
    assert.match(plan.problems[0], /unmanaged solution/);
    assert.match(plan.problems[1], /installed managed \(2\.0\.0\.0\).*modes match/);
    assert.match(plan.problems[2], /Mode 'install' was asked/);
    assert.match(plan.problems[3], /older than the installed/);
  });

  it('applies a waiting holding solution of the same version, and refuses anything else while it waits', () => {
    const holding = { ...installed('1.1.0.0'), holding: { version: '1.2.0.0' } };
    assert.equal(planDeployment(input(holding)).step, 'promote');
    assert.equal(planDeployment(input({ ...holding, mode: 'upgrade' })).step, 'promote');
    for (const mode of ['update', 'stageAndUpgrade', 'install'] as const) {
      assert.match(planDeployment(input({ ...holding, mode })).problems.join('\n'), /Contoso_Upgrade 1\.2\.0\.0 is waiting/, mode);
    }
    assert.match(planDeployment(input({ ...holding, holding: { version: '1.3.0.0' } })).problems[0], /Deploy the 1\.3\.0\.0 zip with mode upgrade/);
  });
});

describe('operations deploy envVarValueProblem', () => {
  it('checks Number, Boolean and JSON values; other types take any text', () => {
    assert.equal(envVarValueProblem('100000001', '3.5'), undefined);
    assert.equal(envVarValueProblem('100000001', 'three'), 'is not a number');
    assert.equal(envVarValueProblem('100000001', ' '), 'is not a number');
    assert.equal(envVarValueProblem('100000002', 'Yes'), undefined);
    assert.equal(envVarValueProblem('100000002', 'false'), undefined);
    assert.match(envVarValueProblem('100000002', '1') ?? '', /not a Boolean/);
    assert.equal(envVarValueProblem('100000003', '{"a":[1]}'), undefined);
    assert.equal(envVarValueProblem('100000003', '{a}'), 'is not valid JSON');
    assert.equal(envVarValueProblem('100000000', ''), undefined);
    assert.equal(envVarValueProblem(undefined, 'anything'), undefined);
  });
});

describe('operations deploy summary', () => {
  it('describes the outcome and renders a Markdown table with deleted components and warnings', () => {
    assert.equal(describeOutcome({ action: 'upgraded', step: 'stageAndUpgrade', fromVersion: '1.0.0.0', toVersion: '2.0.0.0' }),
      'Upgraded 1.0.0.0 → 2.0.0.0 (StageAndUpgrade)');
    assert.equal(describeOutcome({ action: 'skipped', fromVersion: '2.0.0.0', toVersion: '2.0.0.0' }), 'Skipped (2.0.0.0 installed, file 2.0.0.0)');
    assert.equal(formatDuration(4_400), '4 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    const markdown = deploymentSummary({
      solutionName: 'Contoso', managed: true, environment: ENV, action: 'upgraded', step: 'upgrade', fromVersion: '1.0.0.0', toVersion: '2.0.0.0',
      importJobId: 'job-1', durationMs: 61_000, connectionReferences: ['cts_sp'], environmentVariables: [], published: false,
      warnings: ['flow a|b\nleft off'], deletedComponents: [{ type: '61', schemaName: 'cts_/a.js' }],
    });
    assert.equal(markdown, [
      '| | |', '|---|---|',
      '| Solution | Contoso (managed) |',
      `| Environment | ${ENV} |`,
      '| Result | Upgraded 1.0.0.0 → 2.0.0.0 (holding solution + DeleteAndPromote) |',
      '| Import job | job-1 |',
      '| Settings applied | connection references: cts_sp |',
      '| Duration | 1 min 1 s |',
      '', '**Deleted components (1)**', '', '- web resource cts_/a.js',
      '', '**Warnings (1)**', '', '- flow a|b left off', '',
    ].join('\n'));
  });
});

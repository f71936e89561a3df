/**
 * Deciding what a deployment does, before anything is sent: install, update, upgrade (holding solution +
 * DeleteAndPromote, or StageAndUpgrade in one step), apply a waiting holding solution, or skip. Everything
 * Dataverse would refuse late (an older version, the same managed version, a managed/unmanaged mismatch,
 * another import while a holding solution waits) is a problem listed here instead.
 */
import { compareVersions } from '../../solution';

export type DeployMode = 'auto' | 'install' | 'update' | 'upgrade' | 'stageAndUpgrade';
export const DEPLOY_MODES: readonly DeployMode[] = ['auto', 'install', 'update', 'upgrade', 'stageAndUpgrade'];

/** What mode `auto` uses when an older version of a managed solution is installed. */
export type AutoUpgradeMethod = 'upgrade' | 'stageAndUpgrade' | 'update';
export const AUTO_UPGRADE_METHODS: readonly AutoUpgradeMethod[] = ['upgrade', 'stageAndUpgrade', 'update'];

/**
 * install/update: ImportSolutionAsync. upgrade: import as holding solution, then DeleteAndPromote.
 * stageAndUpgrade: StageAndUpgradeAsync. promote: only DeleteAndPromote (the holding solution is already there).
 */
export type DeployStep = 'install' | 'update' | 'upgrade' | 'stageAndUpgrade' | 'promote';

export interface PlanInput {
  incoming: { uniqueName: string; version: string; managed: boolean };
  installed?: { version: string; managed: boolean };
  /** The holding solution `<name>_Upgrade` left by an earlier upgrade, if any. */
  holding?: { version: string };
  mode: DeployMode;
  autoUpgradeMethod: AutoUpgradeMethod;
  allowSameVersion: boolean;
  skipLowerVersion: boolean;
  allowUnmanaged: boolean;
  /** Environment URL, for messages. */
  environment: string;
}

export interface DeployPlan {
  /** Undefined when the deployment is skipped or there are problems. */
  step?: DeployStep;
  skipReason?: string;
  /** Each one stops the deployment; all are reported together. */
  problems: string[];
  /** What will be done and why, for the log ("Plan: …"). */
  reason?: string;
}

const kind = (managed: boolean): string => (managed ? 'managed' : 'unmanaged');

export function planDeployment(input: PlanInput): DeployPlan {
  const { incoming, installed, holding, mode, environment } = input;
  const name = incoming.uniqueName;
  const file = `${name} ${incoming.version} (${kind(incoming.managed)})`;
  const problems: string[] = [];

  if (!incoming.managed && !input.allowUnmanaged) {
    problems.push(`${file} is an unmanaged solution; test and production environments should get managed ones. ` +
      'Deploy the managed zip (pack with packageType managed or both), or set allowUnmanaged for a development or sandbox environment.');
  }
  if (installed && installed.managed !== incoming.managed) {
    problems.push(`${name} is installed ${kind(installed.managed)} (${installed.version}) in ${environment}, but the file is ${kind(incoming.managed)}: ` +
      'Dataverse only updates a solution in the same mode ("Import can only update solutions when the modes match"). ' +
      `Deploy the ${kind(installed.managed)} zip, or delete ${name} from the environment first (deleting a managed solution deletes its tables' data).`);
  }
  if (mode === 'install' && installed) {
    problems.push(`Mode 'install' was asked, but ${name} ${installed.version} is already installed in ${environment}. Use mode auto, update or upgrade.`);
  }
  if ((mode === 'update' || mode === 'upgrade' || mode === 'stageAndUpgrade') && !installed) {
    problems.push(`Mode '${mode}' was asked, but ${name} is not installed in ${environment}. Use mode install or auto.`);
  }
  if ((mode === 'upgrade' || mode === 'stageAndUpgrade') && !incoming.managed) {
    problems.push(`Mode '${mode}' needs a managed solution (an upgrade replaces one managed version with another); use mode update for an unmanaged one.`);
  }

  if (holding) {
    const canPromote = installed !== undefined && (mode === 'auto' || mode === 'upgrade') &&
      compareVersions(holding.version, incoming.version) === 0;
    if (canPromote && problems.length === 0) {
      return {
        step: 'promote', problems,
        reason: `the holding solution ${name}_Upgrade ${holding.version} from an earlier run is waiting: applying it (DeleteAndPromote) instead of importing the file again.`,
      };
    }
    if (!canPromote) {
      problems.push(`The holding solution ${name}_Upgrade ${holding.version} is waiting in ${environment} for DeleteAndPromote (an earlier upgrade stopped halfway); ` +
        `Dataverse refuses other imports of ${name} until it is applied or deleted. Deploy the ${holding.version} zip with mode upgrade or auto ` +
        `to apply it, or delete ${name}_Upgrade from the environment.`);
    }
    return { problems };
  }

  if (!installed) {
    return problems.length > 0 ? { problems } : { step: 'install', problems, reason: `installing ${incoming.version} (not installed yet).` };
  }

  const order = compareVersions(incoming.version, installed.version);
  if (order < 0) {
    if (input.skipLowerVersion && problems.length === 0) {
      return { problems, skipReason: `${file} is older than the installed ${installed.version}; skipped (skipLowerVersion).` };
    }
    problems.push(`${file} is older than the installed ${installed.version}: Dataverse never imports an older version over a newer one, so there is no downgrade. ` +
      'Deploy a higher version (pack with a bumped version), set skipLowerVersion to skip such runs, or, to roll back, delete the solution first ' +
      "(deleting a managed solution deletes its tables' data).");
    return { problems };
  }
  if (order === 0) {
    if (!input.allowSameVersion) {
      return problems.length > 0 ? { problems } : {
        problems,
        skipReason: `${name} ${installed.version} is already installed in ${environment}; nothing to do. ` + (incoming.managed
          ? 'To deploy changes, pack a higher version (e.g. *.*.$(Build.BuildId).0): a managed solution is never re-imported at the same version.'
          : 'Set allowSameVersion to import the same version again.'),
      };
    }
    if (incoming.managed) {
      problems.push(`allowSameVersion is set, but Dataverse refuses to import the same version of an installed managed solution (${name} ${installed.version}). ` +
        'Bump the version (e.g. pack with version *.*.$(Build.BuildId).0) to deploy it.');
      return { problems };
    }
  }
  if (problems.length > 0) return { problems };

  const step = order === 0 || !incoming.managed ? 'update' : stepFor(mode, input.autoUpgradeMethod);
  const reason = order === 0
    ? `importing ${incoming.version} again (allowSameVersion).`
    : `${describeStep(step)}, ${installed.version} → ${incoming.version}` +
      `${mode === 'auto' ? ` (mode auto${incoming.managed ? `, autoUpgradeMethod ${input.autoUpgradeMethod}` : ', unmanaged'})` : ` (mode ${mode})`}.`;
  return { step, problems, reason };
}

function stepFor(mode: DeployMode, autoUpgradeMethod: AutoUpgradeMethod): DeployStep {
  return mode === 'auto' ? autoUpgradeMethod : mode;
}

function describeStep(step: DeployStep): string {
  switch (step) {
    case 'install': return 'installing';
    case 'update': return 'updating (components are added and changed, none removed)';
    case 'upgrade': return 'upgrading through a holding solution and DeleteAndPromote (components the new version lacks are deleted)';
    case 'stageAndUpgrade': return 'upgrading in one step with StageAndUpgrade (components the new version lacks are deleted)';
    case 'promote': return 'applying the waiting holding solution';
  }
}

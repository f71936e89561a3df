/**
 * Decides what an import does to an environment, from the rules the real service applies (issue 3 §3):
 * install / update / holding / upgrade, version and managed-state checks, missing dependencies,
 * ComponentParameters (connections must exist and be shared with the importer; typed env var values).
 * Pure decision: it reads the environment's state and returns a plan; nothing is changed here.
 */
import type { Identity } from '../core/contracts';
import type { ComponentResult, ImportOutcome } from './importLog';
import type { ComponentRef, MissingDependency, SolutionPackage } from './model';
import { normalizeIdent } from './model';
import type { ConnectionRecord, SolutionRecord } from './records';
import { compareVersions } from './version';

export type ImportMode = 'install' | 'update' | 'holding' | 'upgrade';

export interface ImportOptions {
  holdingSolution: boolean;
  stageAndUpgrade: boolean;
  overwriteUnmanagedCustomizations: boolean;
  publishWorkflows: boolean;
  componentParameters: Record<string, unknown>[];
  identity: Identity;
}

export interface EnvironmentView {
  solution(uniqueName: string): SolutionRecord | undefined;
  solutions(): SolutionRecord[];
  unmanagedComponents(): ComponentRef[];
  /** Standard tables of the System solution (type 1). */
  systemComponents(): ComponentRef[];
  connection(id: string): ConnectionRecord | undefined;
  /** Connection id already bound to a connection reference in the environment, if any. */
  boundConnection(logicalName: string): string | null | undefined;
  envVarDefinitionType(schemaName: string): number | undefined;
}

export interface ImportPlan {
  mode: ImportMode;
  /** Unique name of the solution row the import creates or changes (holding: `<name>_Upgrade`). */
  targetName: string;
  failed: boolean;
  errorCode: string;
  errorText: string;
  missing: MissingDependency[];
  /** Components the upgrade removes (upgrade mode only). */
  deleted: ComponentRef[];
  connectionIds: Map<string, string>;
  envVarValues: Map<string, { value: string; id?: string }>;
  /** Flows to switch on, and flows left off with the reason. */
  activate: Set<string>;
  leftOff: Map<string, string>;
  components: ComponentResult[];
}

export const IMPORT_FAILED_CODE = '0x80048033';
export const MISSING_DEPENDENCIES_CODE = '0x80048310';
export const VERSION_CONFLICT_CODE = '0x80048054';
export const MANAGED_STATE_CONFLICT_CODE = '0x80048034';
export const CONNECTION_ERROR_CODE = '0x80048036';
export const ENV_VAR_VALUE_CODE = '0x80048037';
export const PENDING_UPGRADE_CODE = '0x8004f011';

function sameComponent(a: ComponentRef, b: ComponentRef): boolean {
  if (a.type.toLowerCase() !== b.type.toLowerCase()) return false;
  if (a.schemaName && b.schemaName && a.schemaName.toLowerCase() === b.schemaName.toLowerCase()) {
    return !a.parentSchemaName || !b.parentSchemaName || a.parentSchemaName.toLowerCase() === b.parentSchemaName.toLowerCase();
  }
  return !!a.id && !!b.id && normalizeIdent(a.id) === normalizeIdent(b.id);
}

export function containsComponent(list: ComponentRef[], c: ComponentRef): boolean {
  return list.some((x) => sameComponent(x, c));
}

const SOLUTION_REF = /^(.*?)\s*\((\d+(?:\.\d+){1,3})\)$/;

/** Missing dependencies of `pkg` against the environment (issue 3 §3: component must exist, solution at that version or later). */
export function evaluateMissingDependencies(pkg: SolutionPackage, env: EnvironmentView): MissingDependency[] {
  const everyComponent = (): ComponentRef[] => [
    ...env.unmanagedComponents(),
    ...env.systemComponents(),
    ...env.solutions().filter((s) => s.componentsKnown && !s.firstParty).flatMap((s) => s.components),
  ];
  return pkg.manifest.missingDependencies.filter((md) => {
    const req = md.required;
    if (containsComponent(pkg.components, req)) return false;
    const ref = req.solution ? SOLUTION_REF.exec(req.solution) : null;
    if (ref) {
      const installed = env.solution(ref[1]);
      if (!installed || installed.upgradesSolution || compareVersions(installed.version, ref[2]) < 0) return true;
      if (!installed.componentsKnown) return false;
      return !containsComponent(installed.components, req) && !containsComponent(everyComponent(), req);
    }
    return !containsComponent(everyComponent(), req);
  });
}

function identityMatches(list: string[], identity: Identity): boolean {
  return list.some((x) => x === '*' || x.toLowerCase() === identity.objectId.toLowerCase() || x.toLowerCase() === identity.appId.toLowerCase());
}

const ENV_VAR_TYPES: Record<number, string> = {
  100000000: 'String', 100000001: 'Number', 100000002: 'Boolean', 100000003: 'JSON', 100000004: 'Data source', 100000005: 'Secret',
};

function envVarValueProblem(type: number | undefined, value: string): string | undefined {
  if (type === 100000001 && (value.trim() === '' || !Number.isFinite(Number(value)))) return 'is not a number';
  if (type === 100000002 && !['yes', 'no', 'true', 'false'].includes(value.toLowerCase())) return "is not a Boolean ('yes' or 'no')";
  if (type === 100000003) {
    try { JSON.parse(value); } catch { return 'is not valid JSON'; }
  }
  return undefined;
}

function fail(plan: ImportPlan, code: string, text: string): ImportPlan {
  plan.failed = true;
  plan.errorCode = code;
  plan.errorText = text;
  return plan;
}

function decideMode(pkg: SolutionPackage, options: ImportOptions, env: EnvironmentView, plan: ImportPlan): ImportPlan | undefined {
  const m = pkg.manifest;
  const existing = env.solution(m.uniqueName);
  const name = m.uniqueName;
  if (existing?.firstParty) {
    return fail(plan, IMPORT_FAILED_CODE, `The import of solution: ${name} failed. '${name}' is a system solution owned by Microsoft and cannot be imported.`);
  }
  if (existing && existing.managed !== m.managed) {
    const installedAs = existing.managed ? 'a managed' : 'an unmanaged';
    const attempting = m.managed ? 'managed' : 'unmanaged';
    return fail(plan, MANAGED_STATE_CONFLICT_CODE,
      `The solution is already installed on this system as ${installedAs} solution and the package supplied is attempting to install it in ` +
      `${attempting} mode. Import can only update solutions when the modes match. Uninstall the current package and try again.`);
  }
  const holding = env.solution(`${name}_Upgrade`);
  if (holding) {
    return fail(plan, PENDING_UPGRADE_CODE,
      `The solution ${name} has a pending upgrade (holding solution ${name}_Upgrade, version ${holding.version}). ` +
      `Apply it with DeleteAndPromote, or delete the holding solution, before importing ${name} again.`);
  }
  if (existing) {
    const cmp = compareVersions(m.version, existing.version);
    if (cmp < 0) {
      return fail(plan, VERSION_CONFLICT_CODE,
        `The import of solution: ${name} failed. Solution '${name}' version ${m.version} cannot be imported because a later version ` +
        `(${existing.version}) is already installed. Import the same or a later version.`);
    }
    if (cmp === 0 && m.managed) {
      return fail(plan, VERSION_CONFLICT_CODE,
        `The import of solution: ${name} failed. The managed solution '${name}' version ${m.version} is already installed. ` +
        'A managed solution cannot be changed at the same version: increase the version number and import again.');
    }
  }
  if (options.holdingSolution || options.stageAndUpgrade) {
    if (!m.managed) {
      return fail(plan, MANAGED_STATE_CONFLICT_CODE,
        `The import of solution: ${name} failed. Only a managed solution can be imported as an upgrade; the solution file is unmanaged.`);
    }
    if (!existing && options.holdingSolution) {
      return fail(plan, IMPORT_FAILED_CODE,
        `The import of solution: ${name} failed. A holding solution can only be imported when an earlier version of ${name} is installed.`);
    }
  }
  plan.mode = !existing ? 'install' : options.holdingSolution ? 'holding' : options.stageAndUpgrade ? 'upgrade' : 'update';
  plan.targetName = plan.mode === 'holding' ? `${name}_Upgrade` : name;
  if (plan.mode === 'upgrade' && existing) {
    plan.deleted = existing.components.filter((c) => !containsComponent(pkg.components, c));
  }
  return undefined;
}

function applyComponentParameters(pkg: SolutionPackage, options: ImportOptions, env: EnvironmentView, plan: ImportPlan): ImportPlan | undefined {
  for (const param of options.componentParameters) {
    const type = String(param['@odata.type'] ?? '').replace(/^#/, '');
    if (type === 'Microsoft.Dynamics.CRM.connectionreference') {
      const logical = String(param.connectionreferencelogicalname ?? '');
      const connectionId = param.connectionid;
      if (!logical || typeof connectionId !== 'string' || connectionId === '') continue;
      const reference = pkg.connectionReferences.find((c) => c.logicalName.toLowerCase() === logical.toLowerCase());
      const connection = env.connection(connectionId);
      if (!connection || !(identityMatches([connection.owner], options.identity) || identityMatches(connection.sharedWith, options.identity))) {
        return fail(plan, CONNECTION_ERROR_CODE,
          `The import of solution: ${pkg.manifest.uniqueName} failed. Connection reference '${logical}': the connection '${connectionId}' ` +
          `does not exist in this environment or is not shared with the importing user (${options.identity.objectId}). ` +
          'Share the connection with the application user, or give the id of a connection it owns.');
      }
      const connectorId = reference?.connectorId ?? String(param.connectorid ?? '');
      if (connectorId && connectorId.toLowerCase() !== connection.connectorid.toLowerCase()) {
        return fail(plan, CONNECTION_ERROR_CODE,
          `The import of solution: ${pkg.manifest.uniqueName} failed. Connection reference '${logical}' needs a connection of connector ` +
          `'${connectorId}', but connection '${connectionId}' belongs to connector '${connection.connectorid}'.`);
      }
      plan.connectionIds.set(logical.toLowerCase(), connectionId);
    } else if (type === 'Microsoft.Dynamics.CRM.environmentvariablevalue') {
      const schema = String(param.schemaname ?? '');
      if (!schema || param.value === undefined || param.value === null) continue;
      const value = String(param.value);
      const definition = pkg.envVarDefinitions.find((d) => d.schemaName.toLowerCase() === schema.toLowerCase());
      const type = definition?.type ?? env.envVarDefinitionType(schema);
      const problem = envVarValueProblem(type, value);
      if (problem) {
        return fail(plan, ENV_VAR_VALUE_CODE,
          `The import of solution: ${pkg.manifest.uniqueName} failed. The value given for environment variable '${schema}' ` +
          `(type ${ENV_VAR_TYPES[type ?? 0] ?? type}) ${problem}.`);
      }
      plan.envVarValues.set(schema.toLowerCase(), {
        value,
        id: typeof param.environmentvariablevalueid === 'string' ? param.environmentvariablevalueid : undefined,
      });
    } else {
      return fail(plan, IMPORT_FAILED_CODE,
        `The import of solution: ${pkg.manifest.uniqueName} failed. ComponentParameters supports only connection references and ` +
        `environment variable values; '${type}' is not supported.`);
    }
  }
  return undefined;
}

function decideFlows(pkg: SolutionPackage, options: ImportOptions, env: EnvironmentView, plan: ImportPlan): void {
  for (const flow of pkg.flows) {
    const unresolved = flow.connectionReferenceNames.filter((name) => {
      const fromParams = plan.connectionIds.get(name.toLowerCase());
      return !fromParams && !env.boundConnection(name);
    });
    if (!options.publishWorkflows) continue;
    if (unresolved.length === 0) {
      plan.activate.add(flow.workflowId);
      plan.components.push({ section: 'workflows', element: 'workflow', id: flow.workflowId, name: flow.name, result: 'success' });
    } else {
      const reason = `The flow '${flow.name}' was imported but not activated: connection reference${unresolved.length > 1 ? 's' : ''} ` +
        `${unresolved.map((n) => `'${n}'`).join(', ')} ${unresolved.length > 1 ? 'have' : 'has'} no connection. ` +
        'Set the connection (ComponentParameters or the maker portal) and turn the flow on.';
      plan.leftOff.set(flow.workflowId, reason);
      plan.components.push({ section: 'workflows', element: 'workflow', id: flow.workflowId, name: flow.name, result: 'warning', errorCode: '0x80060467', errorText: reason });
    }
  }
}

export function planImport(pkg: SolutionPackage, options: ImportOptions, env: EnvironmentView): ImportPlan {
  const plan: ImportPlan = {
    mode: 'install', targetName: pkg.manifest.uniqueName, failed: false, errorCode: '0', errorText: '', missing: [], deleted: [],
    connectionIds: new Map(), envVarValues: new Map(), activate: new Set(), leftOff: new Map(), components: [],
  };
  for (const entity of pkg.entities) {
    plan.components.push({ section: 'entities', element: 'entity', id: entity.name, name: entity.localizedName, result: 'success' });
  }
  for (const cr of pkg.connectionReferences) {
    plan.components.push({ section: 'connectionreferences', element: 'connectionreference', id: cr.logicalName, name: cr.displayName, result: 'success' });
  }
  for (const ev of pkg.envVarDefinitions) {
    plan.components.push({ section: 'environmentvariabledefinitions', element: 'environmentvariabledefinition', id: ev.schemaName, name: ev.displayName, result: 'success' });
  }
  const early = decideMode(pkg, options, env, plan);
  if (early) return early;
  const missing = evaluateMissingDependencies(pkg, env);
  if (missing.length > 0) {
    plan.missing = missing;
    const solutions = [...new Set(missing.map((m) => m.required.solution ?? 'Active'))];
    return fail(plan, MISSING_DEPENDENCIES_CODE,
      `The following solution cannot be imported: ${pkg.manifest.uniqueName}. Some dependencies are missing. ` +
      `The missing dependencies are: ${missing.map((m) => `${m.required.displayName ?? m.required.schemaName ?? m.required.id} ` +
        `(type ${m.required.type}${m.required.solution ? `, solution ${m.required.solution}` : ''})`).join('; ')}. ` +
      `Install or update the required solutions first: ${solutions.join(', ')}.`);
  }
  const paramFailure = applyComponentParameters(pkg, options, env, plan);
  if (paramFailure) return paramFailure;
  decideFlows(pkg, options, env, plan);
  return plan;
}

/** ImportOutcome skeleton for a plan (the job fills in stop/progress as it runs). */
export function outcomeOf(pkg: SolutionPackage, plan: ImportPlan, start: Date): ImportOutcome {
  return {
    manifest: pkg.manifest,
    result: plan.failed ? 'failure' : 'success',
    errorCode: plan.failed ? plan.errorCode : '0',
    errorText: plan.failed ? plan.errorText : '',
    missing: plan.missing,
    components: plan.components,
    deleted: plan.deleted,
    start,
    progress: 0,
  };
}

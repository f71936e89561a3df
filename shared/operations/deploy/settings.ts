/**
 * A pac deployment settings file → ImportSolution ComponentParameters (protocol.md §5.2), checked against the
 * solution (names, value types) and the target environment (connections exist and belong to the right connector).
 *
 * Empty entries are not sent (as the Terraform provider does; `pac solution create-settings` leaves them empty
 * for the user to fill in): an empty ConnectionId leaves the reference's connection in the target as it is (flows
 * using a reference without connection stay off), an empty Value keeps the target's current value or the default.
 * Each is reported as a warning.
 */
import { DataverseError, getEnvironmentVariables, type ComponentParameter, type DataverseClient } from '../../dataverse';
import { validateDeploymentSettings, type DeploymentSettings, type SolutionContents } from '../../solution';

export interface PreparedSettings {
  componentParameters: ComponentParameter[];
  /** Each one stops the deployment. */
  problems: string[];
  warnings: string[];
  /** Logical names of the connection references that get a connection. */
  connectionReferences: string[];
  /** Schema names of the environment variables that get a value. */
  environmentVariables: string[];
}

const ENV_VAR_TYPE_NAMES: Record<string, string> = {
  100000000: 'String', 100000001: 'Number', 100000002: 'Boolean', 100000003: 'JSON', 100000004: 'Data source', 100000005: 'Secret',
};

/** Why `value` does not fit an environment variable of this type (the checks Dataverse makes on import). */
export function envVarValueProblem(type: string | undefined, value: string): string | undefined {
  switch (type) {
    case '100000001': return value.trim() === '' || !Number.isFinite(Number(value)) ? 'is not a number' : undefined;
    case '100000002': return ['yes', 'no', 'true', 'false'].includes(value.trim().toLowerCase()) ? undefined : "is not a Boolean ('yes'/'no' or 'true'/'false')";
    case '100000003':
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return 'is not valid JSON';
      }
    default: return undefined;
  }
}

interface ConnectionRow {
  connectionid: string;
  connectorid?: string | null;
}

/** Names per request, to keep the URL short. */
const FILTER_BATCH = 20;

/**
 * The connections with these ids in the target, or undefined when the environment's `connections` table cannot
 * be asked about them (not every environment exposes connector connections there; then the import checks them).
 */
async function findConnections(client: DataverseClient, ids: string[], signal: AbortSignal | undefined): Promise<ConnectionRow[] | undefined> {
  const rows: ConnectionRow[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += FILTER_BATCH) {
    const filter = unique.slice(i, i + FILTER_BATCH).map((id) => `connectionid eq '${id.replace(/'/g, "''")}'`).join(' or ');
    try {
      const page = await client.get<{ value?: ConnectionRow[] }>('connections', {
        operation: 'look up connections', query: { $select: 'connectionid,connectorid', $filter: filter }, signal,
      });
      rows.push(...(page?.value ?? []));
    } catch (err) {
      if (err instanceof DataverseError && (err.status === 400 || err.status === 404)) return undefined;
      throw err;
    }
  }
  return rows;
}

export async function prepareDeploymentSettings(client: DataverseClient, settings: DeploymentSettings, contents: SolutionContents,
  options: { signal?: AbortSignal } = {}): Promise<PreparedSettings> {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const issue of validateDeploymentSettings(settings, contents)) {
    (issue.severity === 'error' ? problems : warnings).push(issue.message);
  }

  const references = new Map(contents.connectionReferences.map((c) => [c.logicalName, c]));
  const boundReferences = settings.connectionReferences.filter((c) => references.has(c.logicalName) && c.connectionId !== '');
  const variables = new Map(contents.environmentVariables.map((v) => [v.schemaName, v]));
  const valuedVariables = settings.environmentVariables.filter((v) => {
    if (!variables.has(v.schemaName)) return false;
    if (v.value !== '') return true;
    warnings.push(`Environment variable '${v.schemaName}' has an empty Value in the deployment settings: not sent, so it keeps its current value (or its default) in the target.`);
    return false;
  });

  for (const v of valuedVariables) {
    const type = variables.get(v.schemaName)?.type;
    const problem = envVarValueProblem(type, v.value);
    if (problem) problems.push(`Environment variable '${v.schemaName}' (type ${ENV_VAR_TYPE_NAMES[type ?? ''] ?? type}): the value in the deployment settings ${problem}.`);
  }

  if (boundReferences.length > 0) {
    const found = await findConnections(client, boundReferences.map((c) => c.connectionId), options.signal);
    if (!found) {
      warnings.push(`The connections could not be looked up in ${client.environmentUrl}; the import checks them (they must exist and be shared with the deploying application user).`);
    } else {
      const byId = new Map(found.map((row) => [row.connectionid.toLowerCase(), row]));
      for (const c of boundReferences) {
        const connection = byId.get(c.connectionId.toLowerCase());
        const connector = c.connectorId ?? references.get(c.logicalName)?.connectorId;
        if (!connection) {
          problems.push(`Connection reference '${c.logicalName}': connection '${c.connectionId}' does not exist in ${client.environmentUrl}. ` +
            'Create it there (owned by or shared with the deploying application user) and put its id in the settings file.');
        } else if (connector && connection.connectorid && connector.toLowerCase() !== connection.connectorid.toLowerCase()) {
          problems.push(`Connection reference '${c.logicalName}' needs a connection of connector '${connector}', but connection '${c.connectionId}' ` +
            `belongs to '${connection.connectorid}'.`);
        }
      }
    }
  }

  const existingValues = valuedVariables.length > 0
    ? await getEnvironmentVariables(client, valuedVariables.map((v) => v.schemaName), { signal: options.signal })
    : [];
  const valueRowOf = (schemaName: string) =>
    existingValues.find((d) => d.schemaname.toLowerCase() === schemaName.toLowerCase())?.value?.environmentvariablevalueid;

  const componentParameters: ComponentParameter[] = [
    ...boundReferences.map((c) => {
      const connectorId = c.connectorId ?? references.get(c.logicalName)?.connectorId;
      return {
        '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference',
        connectionreferencelogicalname: c.logicalName,
        connectionid: c.connectionId,
        ...(connectorId ? { connectorid: connectorId } : {}),
      };
    }),
    ...valuedVariables.map((v) => {
      const id = valueRowOf(v.schemaName);
      // Naming the existing value row updates it instead of adding a second value to the definition.
      return { '@odata.type': 'Microsoft.Dynamics.CRM.environmentvariablevalue', schemaname: v.schemaName, value: v.value, ...(id ? { environmentvariablevalueid: id } : {}) };
    }),
  ];
  return {
    componentParameters,
    problems,
    warnings,
    connectionReferences: boundReferences.map((c) => c.logicalName),
    environmentVariables: valuedVariables.map((v) => v.schemaName),
  };
}

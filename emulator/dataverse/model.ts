/** The state one emulated Dataverse environment keeps about solutions and the tables around them. */

/** A solution component. `type` is the numeric component type as text ("1" entity, "61" web resource…) or, for
 *  types Dataverse writes by name in MissingDependencies, that name in lower case (e.g. "connectionreference"). */
export interface ComponentRef {
  type: string;
  schemaName?: string;
  id?: string;
  parentSchemaName?: string;
  displayName?: string;
}

export interface RequiredComponent extends ComponentRef {
  /** Raw `solution` attribute, e.g. "FieldService (6.1.0.1462)" or "Active". */
  solution?: string;
  /** Every attribute of the <Required> element, as written (for the importjob log and StageSolution). */
  attributes: Record<string, string>;
}

export interface MissingDependency {
  required: RequiredComponent;
  dependent: Record<string, string>;
}

export interface PublisherInfo {
  uniqueName: string;
  friendlyName: string;
  customizationPrefix: string;
  optionValuePrefix: number;
}

export interface SolutionManifest {
  uniqueName: string;
  friendlyName: string;
  description: string;
  version: string;
  managed: boolean;
  publisher: PublisherInfo;
  rootComponents: ComponentRef[];
  missingDependencies: MissingDependency[];
}

export interface ConnectionReferenceDef {
  logicalName: string;
  displayName: string;
  connectorId: string;
  description: string;
}

export interface EnvVarDefinitionDef {
  schemaName: string;
  displayName: string;
  description: string;
  type: number;
  defaultValue: string;
  isRequired: boolean;
  parameterKey: string;
  apiId: string;
}

export interface EnvVarValueDef {
  schemaName: string;
  id?: string;
  value: string;
}

export interface FlowDef {
  workflowId: string;
  name: string;
  category: number;
  /** State the solution file asks for (1 = activated). */
  requestedState: number;
  connectionReferenceNames: string[];
}

export interface SolutionPackage {
  manifest: SolutionManifest;
  /** Every component the package carries (root components plus what customizations.xml and the files define). */
  components: ComponentRef[];
  connectionReferences: ConnectionReferenceDef[];
  envVarDefinitions: EnvVarDefinitionDef[];
  envVarValues: EnvVarValueDef[];
  flows: FlowDef[];
  /** Entities defined in customizations.xml: schema name and display name (importjob log, StageSolution). */
  entities: { name: string; localizedName: string }[];
  entries: { name: string; size: number }[];
}

export function normalizeIdent(value: string): string {
  return value.replace(/^\{|\}$/g, '').toLowerCase();
}

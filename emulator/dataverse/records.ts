/** Rows of the tables the module keeps per environment (column names as in Dataverse where they are exposed). */
import type { ComponentRef, FlowDef, MissingDependency, SolutionPackage } from './model';
import type { ImportOutcome } from './importLog';

export interface PublisherRecord {
  publisherid: string;
  uniquename: string;
  friendlyname: string;
  customizationprefix: string;
  customizationoptionvalueprefix: number;
}

export interface SolutionRecord {
  solutionid: string;
  uniqueName: string;
  friendlyName: string;
  description: string;
  version: string;
  managed: boolean;
  isVisible: boolean;
  publisher: PublisherRecord;
  components: ComponentRef[];
  /** False for first-party and version-only seeded solutions: their components are not modelled. */
  componentsKnown: boolean;
  firstParty: boolean;
  /** The stored solution file (what export starts from); absent for first-party solutions. */
  contentPath?: string;
  package?: SolutionPackage;
  missingDependencies: MissingDependency[];
  installedOn: Date;
  createdOn: Date;
  modifiedOn: Date;
  /** Set on a holding solution (<name>_Upgrade): the solution it upgrades. */
  upgradesSolution?: string;
  /** Components removed by the last upgrade of this solution. */
  lastUpgradeDeleted: ComponentRef[];
  /** A maker's edits since the stored file was imported (control API); export applies them. */
  edits: { added: ComponentRef[]; removed: ComponentRef[] };
}

export interface AsyncOperationRecord {
  asyncoperationid: string;
  name: string;
  messagename: string;
  operationtype: number;
  statecode: number;
  statuscode: number;
  createdon: Date;
  startedon?: Date;
  completedon?: Date;
  modifiedon: Date;
  message: string | null;
  friendlymessage: string | null;
  errorcode: number | null;
  ownerId: string;
  correlationid: string;
  dependencytoken: string;
  businessUnitId: string;
}

export interface ImportJobRecord {
  importjobid: string;
  name: string;
  solutionname: string;
  solutionid?: string;
  importcontext: string;
  operationcontext: string;
  createdon: Date;
  startedon: Date;
  completedon?: Date;
  modifiedon: Date;
  createdBy: string;
  /** Time the job runs for; progress rises linearly over it. */
  durationMs: number;
  outcome: ImportOutcome;
}

export interface ConnectionRecord {
  connectionid: string;
  connectorid: string;
  displayname: string;
  owner: string;
  sharedWith: string[];
}

export interface ConnectionReferenceRecord {
  connectionreferenceid: string;
  connectionreferencelogicalname: string;
  connectionreferencedisplayname: string;
  connectorid: string;
  connectionid: string | null;
  description: string;
  solution: string;
  createdon: Date;
  modifiedon: Date;
}

export interface EnvVarDefinitionRecord {
  environmentvariabledefinitionid: string;
  schemaname: string;
  displayname: string;
  description: string;
  type: number;
  defaultvalue: string;
  isrequired: boolean;
  solution: string;
}

export interface EnvVarValueRecord {
  environmentvariablevalueid: string;
  schemaname: string;
  value: string;
  definitionId: string;
  solution: string;
}

export interface WorkflowRecord extends FlowDef {
  statecode: number;
  statuscode: number;
  solution: string;
  createdon: Date;
  modifiedon: Date;
}

export interface SolutionHistoryRecord {
  msdyn_solutionhistoryid: string;
  msdyn_name: string;
  msdyn_solutionversion: string;
  msdyn_operation: number;
  msdyn_suboperation: number;
  msdyn_status: number;
  msdyn_result: boolean | null;
  msdyn_ismanaged: boolean;
  msdyn_isoverwritecustomizations: boolean;
  msdyn_starttime: Date;
  msdyn_endtime: Date | null;
  msdyn_exceptionmessage: string | null;
  msdyn_errorcode: number | null;
  msdyn_publishername: string;
  msdyn_solutionid: string | null;
  msdyn_activityid: string;
}

/** Signed 32-bit value of a hex error code, as Dataverse stores it in integer columns. */
export function errorCodeNumber(hex: string): number | null {
  if (!/^0x[0-9a-f]{8}$/i.test(hex)) return null;
  return Number.parseInt(hex.slice(2), 16) | 0;
}

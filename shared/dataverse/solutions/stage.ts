/**
 * StageSolution (protocol.md §3.7): uploads the zip once and validates it without importing. Its missing
 * dependencies and validation results give a specific error before any import starts (no lock taken, no import
 * job), and its StageSolutionUploadId lets ImportSolutionAsync / StageAndUpgradeAsync import the staged file
 * without sending it again.
 */
import type { DataverseClient } from '../client';
import { base64JsonFileBody } from './base64-streams';
import type { MissingDependency } from './import-log';
import { uploadTimeoutMs } from './upload';

interface RawMissingDependency {
  RequiredComponentSchemaName?: string | null;
  RequiredComponentDisplayName?: string | null;
  RequiredComponentParentSchemaName?: string | null;
  RequiredComponentParentDisplayName?: string | null;
  RequiredComponentId?: string | null;
  RequiredSolutionName?: string | null;
  RequiredComponentType?: string | number | null;
  DependentComponentSchemaName?: string | null;
  DependentComponentDisplayName?: string | null;
  DependentComponentParentSchemaName?: string | null;
  DependentComponentParentDisplayName?: string | null;
  DependentComponentType?: string | number | null;
  DependentComponentId?: string | null;
}

export interface SolutionValidationResult {
  SolutionValidationResultType?: string | null;
  ErrorCode?: number | string | null;
  AdditionalInfo?: string | null;
  Message?: string | null;
}

interface RawStageResults {
  StageSolutionUploadId?: string;
  StageSolutionStatus?: string;
  SolutionValidationResults?: SolutionValidationResult[] | null;
  MissingDependencies?: RawMissingDependency[] | null;
  SolutionDetails?: {
    SolutionUniqueName?: string;
    SolutionFriendlyName?: string;
    SolutionVersion?: string;
    IsManaged?: boolean;
    PreviousSolutionVersion?: string | null;
    HasPendingUpgrade?: boolean;
  } | null;
  SolutionComponentsDetails?: unknown[] | null;
}

export interface StagedSolution {
  uploadId: string;
  /** "Passed" when the file can be imported (other values are unverified). */
  status: string;
  uniqueName?: string;
  friendlyName?: string;
  version?: string;
  managed?: boolean;
  /** Version installed in the environment, when there is one. */
  previousVersion?: string;
  /** A holding solution `<name>_Upgrade` is waiting for DeleteAndPromote. */
  hasPendingUpgrade?: boolean;
  missingDependencies: MissingDependency[];
  /** Validation results of type Error (case-insensitive). */
  errors: SolutionValidationResult[];
  /** Every other validation result. */
  warnings: SolutionValidationResult[];
  /** Raw `SolutionComponentsDetails` (connection references, environment variables…) for pre-flight checks. */
  components: unknown[];
}

const text = (value: string | number | null | undefined): string | undefined =>
  value === null || value === undefined || value === '' ? undefined : String(value);

function toMissingDependency(raw: RawMissingDependency): MissingDependency {
  return {
    required: {
      type: text(raw.RequiredComponentType),
      schemaName: text(raw.RequiredComponentSchemaName),
      displayName: text(raw.RequiredComponentDisplayName),
      solution: text(raw.RequiredSolutionName),
      id: text(raw.RequiredComponentId),
      parentSchemaName: text(raw.RequiredComponentParentSchemaName),
      parentDisplayName: text(raw.RequiredComponentParentDisplayName),
    },
    dependent: {
      type: text(raw.DependentComponentType),
      schemaName: text(raw.DependentComponentSchemaName),
      displayName: text(raw.DependentComponentDisplayName),
      id: text(raw.DependentComponentId),
      parentSchemaName: text(raw.DependentComponentParentSchemaName),
      parentDisplayName: text(raw.DependentComponentParentDisplayName),
    },
  };
}

export function toStagedSolution(raw: RawStageResults): StagedSolution {
  const validation = raw.SolutionValidationResults ?? [];
  const isError = (v: SolutionValidationResult) => (v.SolutionValidationResultType ?? '').toLowerCase() === 'error';
  const details = raw.SolutionDetails ?? {};
  return {
    uploadId: raw.StageSolutionUploadId ?? '',
    status: raw.StageSolutionStatus ?? 'unknown',
    uniqueName: details.SolutionUniqueName,
    friendlyName: details.SolutionFriendlyName,
    version: details.SolutionVersion,
    managed: details.IsManaged,
    previousVersion: details.PreviousSolutionVersion ?? undefined,
    hasPendingUpgrade: details.HasPendingUpgrade,
    missingDependencies: (raw.MissingDependencies ?? []).map(toMissingDependency),
    errors: validation.filter(isError),
    warnings: validation.filter((v) => !isError(v)),
    components: raw.SolutionComponentsDetails ?? [],
  };
}

/** Uploads and validates the zip (streamed from disk). Does not import; see StagedSolution. */
export async function stageSolution(client: DataverseClient, zipPath: string, options: { signal?: AbortSignal } = {}): Promise<StagedSolution> {
  const upload = await base64JsonFileBody({}, 'CustomizationFile', zipPath);
  const response = await client.post<{ StageSolutionResults?: RawStageResults }>('StageSolution', upload.body, {
    operation: 'StageSolution',
    headers: upload.headers,
    timeoutMs: uploadTimeoutMs(upload.length),
    // Staging only stores and validates the file: sending it again is harmless.
    idempotent: true,
    signal: options.signal,
  });
  const results = response?.StageSolutionResults;
  if (!results?.StageSolutionUploadId) {
    throw new Error('StageSolution answered without StageSolutionResults.StageSolutionUploadId.');
  }
  return toStagedSolution(results);
}

export function describeValidationResult(v: SolutionValidationResult): string {
  const code = v.ErrorCode !== undefined && v.ErrorCode !== null && v.ErrorCode !== 0 ? ` (${v.ErrorCode})` : '';
  const extra = v.AdditionalInfo ? ` ${v.AdditionalInfo}` : '';
  return `${v.SolutionValidationResultType ?? 'Result'}: ${v.Message ?? 'no message'}${code}${extra}`;
}

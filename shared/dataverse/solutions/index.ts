/** Dataverse solution operations: import, upgrade, export, publish, status polling, import logs, queries. */
export {
  asyncStatusLabel, AsyncOperationFailedError, AsyncOperationNotFinishedError, DEFAULT_POLL_TIMEOUT_MS, formatErrorCode, PollSchedule,
  pollAsyncOperation, readAsyncOperation, readImportProgress, waitForAsyncOperation,
  type AsyncOperationState, type OperationProgress, type PollOptions,
} from './async-operation';
export { base64Encoder, base64JsonFileBody, Base64ExtractError, Base64PropertyExtractor, type Base64JsonBody } from './base64-streams';
export { componentTypeName } from './component-types';
export { downloadExport, exportSolution, type ExportSettings, type ExportSolutionOptions, type ExportSolutionResult } from './export';
export {
  importSolution, ImportOutcomeUnknownError, stageAndUpgrade,
  type ComponentParameter, type ImportSolutionOptions, type ImportSolutionResult, type StageAndUpgradeOptions,
} from './import';
export {
  componentIssues, describeDependencyComponent, describeImportFailure, describeImportWarnings, describeMissingDependency,
  ImportLogParseError, missingDependencyAdvice, parseImportJobLog, parseSolutionReference,
  type DeletedComponent, type DependencyComponent, type ImportJobLog, type ImportLogComponent, type ImportLogResult,
  type ImportLogSolution, type ImportOutcomeKind, type MissingDependency,
} from './import-log';
export {
  getImportJob, readImportReport, reportFailed, reportWarnings, retrieveSolutionImportResult, SolutionImportError,
  type ImportJobRow, type ImportReport, type ImportSubject, type SolutionOperationResult,
} from './import-result';
export { isAmbiguous, OperationDeadline, type SolutionOperationOptions } from './operation';
export {
  getActiveSolutionOperation, getConnectionReferences, getEnvironmentVariables, getHoldingSolution, getSolution, getSolutionConfiguration,
  holdingSolutionName, listSolutionComponents, listSolutions,
  type ConnectionReferenceInfo, type EnvironmentVariableInfo, type PublisherInfo, type SolutionComponentSummary, type SolutionInfo,
  type SolutionOperationInfo,
} from './queries';
export { describeValidationResult, stageSolution, type SolutionValidationResult, type StagedSolution } from './stage';
export { deleteAndPromote, publishAllCustomizations, type DeleteAndPromoteResult, type PublishOptions } from './upgrade';

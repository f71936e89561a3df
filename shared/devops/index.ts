export { approvalPatch, createDevOpsClient, DevOpsClient, requestOptions } from './client';
export { buildServiceIdentities, DevOpsError, organizationName, toDevOpsError, type FailureContext } from './errors';
export { classifyFailure, withRetry, type NodeApiError, type RetryPolicy } from './retry';
export { ApprovalWaitCancelledError, waitForApproval, type ApprovalSource, type WaitDependencies } from './wait';
export { describePerson, htmlToText } from './work-item-fields';
export type {
  ApprovalDecision, ApprovalOutcome, ApprovalPoll, ApprovalWorkItemRequest, CreatedWorkItem, DevOpsClientOptions, Person,
  StateChange, WaitForApprovalOptions, WorkItemComment, WorkItemLink, WorkItemStatus,
} from './types';

import type { Logger } from '../core';
import type { Clock, ProxySettings, RetryOptions } from '../http';

export interface DevOpsClientOptions {
  /** System.TeamFoundationCollectionUri, e.g. https://dev.azure.com/contoso/ (http:// only for loopback hosts). */
  collectionUrl: string;
  /** System.TeamProject (name) or System.TeamProjectId. */
  project: string;
  /** System.AccessToken (the job's OAuth token). Never logged. */
  accessToken: string;
  /** Extension version for the User-Agent header. */
  productVersion: string;
  /** Agent proxy; when absent the task-lib proxy globals, then HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply. */
  proxy?: ProxySettings;
  /** Path of a PEM file with extra trusted CA certificates (the agent's certificate settings). */
  caFile?: string;
  /** Per-request socket timeout (ms). Default 100 s. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  logger?: Logger;
  clock?: Clock;
  /** Random source in [0, 1) for backoff jitter; injectable for tests. */
  random?: () => number;
}

export interface Person {
  displayName: string;
  /** Sign-in name or e-mail when Azure DevOps gives one. */
  uniqueName?: string;
}

export interface WorkItemLink {
  label: string;
  url: string;
}

export interface ApprovalWorkItemRequest {
  /** Work item type; default "Task" (it must exist in the project's process). */
  type?: string;
  title: string;
  /** Plain text; shown above the links. */
  description?: string;
  /** Links listed in the description, e.g. the pipeline run and the solution artifact. */
  links?: WorkItemLink[];
  /** User (e-mail or display name) the approval is assigned to. */
  assignedTo?: string;
  /** e.g. "Contoso\\Releases"; default: the project's root area. */
  areaPath?: string;
  tags?: string[];
  /** Build.BuildId: the work item gets an artifact link to the build ("Build" in the Development section). */
  buildId?: number;
  /** URL of the run, added as a hyperlink relation. */
  runUrl?: string;
}

export interface WorkItemComment {
  id: number;
  /** Plain text (the HTML of the comment without tags). */
  text: string;
  by?: Person;
  date?: Date;
}

export interface WorkItemStatus {
  id: number;
  rev: number;
  type: string;
  title: string;
  state: string;
  reason?: string;
  changedBy?: Person;
  changedDate?: Date;
  /** The work item in the web UI. */
  webUrl?: string;
}

export interface CreatedWorkItem extends WorkItemStatus {
  areaPath: string;
}

/** The revision that moved the work item into its current state. */
export interface StateChange {
  state: string;
  by?: Person;
  at?: Date;
}

export interface WaitForApprovalOptions {
  workItemId: number;
  /** States that mean "approved" (case-insensitive), e.g. ["Done"] or ["Closed"]. */
  approvedStates: string[];
  /** States that mean "rejected" (case-insensitive), e.g. ["Removed"]. */
  rejectedStates: string[];
  timeoutMs: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
  /** Called after every poll (progress reporting). */
  onPoll?: (poll: ApprovalPoll) => void;
}

export interface ApprovalPoll {
  status: WorkItemStatus;
  /** 1 for the first poll. */
  poll: number;
  elapsedMs: number;
  remainingMs: number;
}

export type ApprovalDecision = 'granted' | 'rejected' | 'timed-out';

export interface ApprovalOutcome {
  decision: ApprovalDecision;
  workItem: WorkItemStatus;
  /** Who moved the work item into the deciding state, and when (granted / rejected). */
  decidedBy?: Person;
  decidedAt?: Date;
  /** The newest comment on the work item when the wait ended (e.g. the reason for a rejection). */
  latestComment?: WorkItemComment;
  polls: number;
  elapsedMs: number;
}

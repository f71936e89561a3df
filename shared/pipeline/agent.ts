/**
 * The slice of the agent (azure-pipelines-task-lib) the rest of shared/pipeline uses. Parsing and
 * reporting code takes an `Agent` so unit tests can hand it a fake; `taskLibAgent` is the real one.
 * This file is the only import of task-lib in the product, and it imports the exact path
 * `azure-pipelines-task-lib/task` so MockTestRunner's module mock intercepts it.
 */
import * as tl from 'azure-pipelines-task-lib/task';

export interface EndpointAuth {
  scheme: string;
  parameters: Record<string, string>;
}

export interface AgentProxy {
  proxyUrl: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyBypassHosts?: string[];
}

export type AgentResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Cancelled';

export interface Agent {
  /** Raw input value (undefined when not given). task-lib debug-logs it: never use for secrets. */
  getInput(name: string): string | undefined;
  /** Raw variable value. task-lib debug-logs it: never use for secret variables. */
  getVariable(name: string): string | undefined;
  getEndpointUrl(id: string): string | undefined;
  /** The whole authorization object of an endpoint, read without logging its values. */
  getEndpointAuthorization(id: string): EndpointAuth | undefined;
  getProxy(): AgentProxy | undefined;
  /** `##vso[task.setsecret]`: the agent masks the value in every later log line. */
  setSecret(value: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** Plain log line (stdout). */
  log(message: string): void;
  setProgress(percent: number, text: string): void;
  setOutputVariable(name: string, value: string): void;
  addSummaryAttachment(title: string, filePath: string): void;
  setResult(result: AgentResult, message: string): void;
}

const RESULTS: Record<AgentResult, tl.TaskResult> = {
  Succeeded: tl.TaskResult.Succeeded,
  SucceededWithIssues: tl.TaskResult.SucceededWithIssues,
  Failed: tl.TaskResult.Failed,
  Cancelled: tl.TaskResult.Cancelled,
};

export const taskLibAgent: Agent = {
  getInput: (name) => tl.getInput(name, false),
  getVariable: (name) => tl.getVariable(name),
  getEndpointUrl: (id) => tl.getEndpointUrl(id, true),
  // getEndpointAuthorizationParameter would debug-log each value in clear text; this call only logs "exists".
  getEndpointAuthorization: (id) => tl.getEndpointAuthorization(id, true),
  getProxy: () => tl.getHttpProxyConfiguration() ?? undefined,
  setSecret: (value) => tl.setSecret(value),
  debug: (message) => tl.debug(message),
  warning: (message) => tl.warning(message),
  log: (message) => console.log(message),
  setProgress: (percent, text) => tl.setProgress(percent, text),
  setOutputVariable: (name, value) => tl.setVariable(name, value, false, true),
  // What tl.uploadSummary does, with our own section title instead of the file name.
  addSummaryAttachment: (title, filePath) => tl.addAttachment('Distributedtask.Core.Summary', title, filePath),
  setResult: (result, message) => {
    if (result === 'Succeeded') tl.setResult(tl.TaskResult.Succeeded, message);
    else tl.setResult(RESULTS[result] as Exclude<tl.TaskResult, tl.TaskResult.Succeeded>, message);
  },
};

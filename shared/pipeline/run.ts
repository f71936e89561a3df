/**
 * `runTask(main)`: the one entry every task uses. Builds the task context over the agent, turns the
 * outcome into the task result, and turns SIGINT/SIGTERM into an abort signal.
 */
import { UserError, errorMessage } from '../core';
import type { ClosableHttpClient } from '../http';
import type { Reporter } from '../operations/reporter';
import { taskLibAgent, type Agent } from './agent';
import { readDataverseConnection, type DataverseConnection } from './connection';
import { createInputReader, type InputReader } from './inputs';
import { createAgentReporter } from './reporter';
import { createTaskClients, type DataverseSession, type TaskClients } from './session';
import { maskSecret } from './secrets';

export interface TaskContext {
  inputs: InputReader;
  reporter: Reporter;
  /** Aborted on SIGINT/SIGTERM (the agent cancelling the job). */
  signal: AbortSignal;
  /** Reads the `dataverse-alm` service connection (default input `connection`), masking its secrets first. */
  dataverseConnection(inputName?: string): DataverseConnection;
  /** Reads the service connection (masking its secrets first) and connects to its environment; tokens are masked as they arrive. */
  connectDataverse(inputName?: string): DataverseSession;
  /** The run's HTTP transport (agent proxy, retries, task logging), for clients other than Dataverse. */
  http(): ClosableHttpClient;
  /** Registers a value with the agent's secret masking (plus its base64 forms). */
  maskSecret(value: string): void;
  readonly agent: Agent;
}

export type TaskMain = (context: TaskContext) => Promise<void>;

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function runTask(main: TaskMain, agent: Agent = taskLibAgent): Promise<void> {
  const controller = new AbortController();
  let signalsSeen = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signalsSeen++;
    // A second signal means the first one was not enough: stop now.
    if (signalsSeen > 1) process.exit(130);
    agent.warning(`Received ${name}: cancelling.`);
    controller.abort(new UserError(`The task was cancelled (${name}).`));
  };
  for (const s of CANCEL_SIGNALS) process.on(s, onSignal);

  const reporter = createAgentReporter(agent, controller.signal);
  const clients = createTaskClients(agent, reporter);
  const context = createTaskContext(agent, reporter, clients, controller.signal);
  try {
    await main(context);
    if (controller.signal.aborted) agent.setResult('Cancelled', 'The task was cancelled.');
    else agent.setResult('Succeeded', 'Done.');
  } catch (err) {
    reportFailure(agent, err, controller.signal.aborted);
  } finally {
    clients.close();
    for (const s of CANCEL_SIGNALS) process.off(s, onSignal);
  }
}

function createTaskContext(agent: Agent, reporter: Reporter, clients: TaskClients, signal: AbortSignal): TaskContext {
  return {
    agent,
    signal,
    inputs: createInputReader(agent),
    reporter,
    dataverseConnection: (inputName) => readDataverseConnection(agent, inputName),
    connectDataverse: (inputName) => clients.connectDataverse(inputName),
    http: () => clients.http(),
    maskSecret: (value) => maskSecret(agent, value),
  };
}

function reportFailure(agent: Agent, err: unknown, cancelled: boolean): void {
  const message = errorMessage(err);
  if (cancelled) {
    agent.setResult('Cancelled', message);
    return;
  }
  if (!(err instanceof UserError) && err instanceof Error && err.stack) {
    agent.debug(err.stack);
  }
  agent.setResult('Failed', message || 'The task failed without a message.');
}

/**
 * Clients for a task run: one HTTP transport (agent proxy, task logging) shared by everything the task calls,
 * and Dataverse sessions whose every token is registered with the agent's secret masking as it arrives.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTokenProvider, type TokenProvider } from '../auth';
import type { Logger } from '../core';
import { DataverseClient } from '../dataverse';
import { createHttpClient, type ClosableHttpClient } from '../http';
import type { Agent } from './agent';
import { readDataverseConnection, type DataverseConnection } from './connection';
import { readAgentProxy } from './proxy';
import { maskSecret } from './secrets';

export interface DataverseSession {
  connection: DataverseConnection;
  tokenProvider: TokenProvider;
  client: DataverseClient;
}

export interface TaskClients {
  /** The run's HTTP transport (created on first use). */
  http(): ClosableHttpClient;
  /** Reads the service connection (masking its secrets first) and connects to its environment. */
  connectDataverse(inputName?: string): DataverseSession;
  /** Releases keep-alive connections so the process can exit. */
  close(): void;
}

export function createTaskClients(agent: Agent, logger: Logger): TaskClients {
  let http: ClosableHttpClient | undefined;
  const getHttp = (): ClosableHttpClient => {
    http ??= createHttpClient({ productVersion: runningTaskVersion(), logger, proxy: readAgentProxy(agent) });
    return http;
  };
  return {
    http: getHttp,
    connectDataverse(inputName) {
      const connection = readDataverseConnection(agent, inputName);
      const tokenProvider = createTokenProvider(connection.credential, {
        http: getHttp(),
        logger,
        onToken: (token) => maskSecret(agent, token),
      });
      const client = new DataverseClient({ environmentUrl: connection.environmentUrl, tokenProvider, http: getHttp(), logger });
      return { connection, tokenProvider, client };
    },
    close() {
      http?.close();
      http = undefined;
    },
  };
}

/** The version in the task.json beside the running bundle (the agent runs `node <task folder>/index.js`). */
function runningTaskVersion(): string {
  try {
    const file = path.join(path.dirname(process.argv[1] ?? ''), 'task.json');
    const { version } = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: { Major: number; Minor: number; Patch: number } };
    if (version) return `${version.Major}.${version.Minor}.${version.Patch}`;
  } catch {
    // Not running from a task folder (tests, scripts).
  }
  return 'dev';
}

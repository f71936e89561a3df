import type { Agent, AgentProxy, AgentResult, EndpointAuth } from '../../../shared/pipeline/agent';

/** An in-memory Agent: inputs, variables and endpoints in, every command it was given out. */
export interface FakeAgent extends Agent {
  inputs: Record<string, string>;
  variables: Record<string, string>;
  endpoints: Record<string, { url?: string; auth?: EndpointAuth }>;
  proxy?: AgentProxy;
  secrets: string[];
  /** Every call in order, e.g. "log: text", "secret: …", "result: Failed: message". */
  calls: string[];
  outputs: Record<string, string>;
  attachments: { title: string; filePath: string }[];
  results: { result: AgentResult; message: string }[];
}

export function createFakeAgent(init: Partial<Pick<FakeAgent, 'inputs' | 'variables' | 'endpoints' | 'proxy'>> = {}): FakeAgent {
  const agent: FakeAgent = {
    inputs: init.inputs ?? {},
    variables: init.variables ?? {},
    endpoints: init.endpoints ?? {},
    proxy: init.proxy,
    secrets: [],
    calls: [],
    outputs: {},
    attachments: [],
    results: [],
    getInput: (name) => agent.inputs[name],
    getVariable: (name) => agent.variables[name],
    getEndpointUrl: (id) => agent.endpoints[id]?.url,
    getEndpointAuthorization: (id) => agent.endpoints[id]?.auth,
    getProxy: () => agent.proxy,
    setSecret: (value) => { agent.secrets.push(value); agent.calls.push(`secret: ${value}`); },
    debug: (message) => { agent.calls.push(`debug: ${message}`); },
    warning: (message) => { agent.calls.push(`warning: ${message}`); },
    log: (message) => { agent.calls.push(`log: ${message}`); },
    setProgress: (percent, text) => { agent.calls.push(`progress: ${percent} ${text}`); },
    setOutputVariable: (name, value) => { agent.outputs[name] = value; agent.calls.push(`output: ${name}=${value}`); },
    addSummaryAttachment: (title, filePath) => { agent.attachments.push({ title, filePath }); },
    setResult: (result, message) => { agent.results.push({ result, message }); agent.calls.push(`result: ${result}: ${message}`); },
  };
  return agent;
}

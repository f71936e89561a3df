export { runTask, type TaskContext, type TaskMain } from './run';
export { type Agent, type AgentProxy, type EndpointAuth, taskLibAgent } from './agent';
export { createInputReader, type InputReader, type IntegerOptions, type PathOptions } from './inputs';
export {
  readDataverseConnection, type DataverseConnection,
  CONNECTION_INPUT, ENVIRONMENT_URL_INPUT, ENDPOINT_TYPE,
} from './connection';
export { createAgentReporter } from './reporter';
export { maskSecret, secretForms } from './secrets';
export { readAgentProxy } from './proxy';
export { createTaskClients, type DataverseSession, type TaskClients } from './session';

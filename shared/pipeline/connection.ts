/**
 * Reads the `dataverse-alm` service connection (design.md §6) into a CredentialConfig for shared/auth,
 * registering every secret with the agent before anything else can print it.
 */
import { UserError } from '../core';
import {
  DEFAULT_AUTHORITY_HOST,
  IMDS_ENDPOINT_ENV,
  type CredentialConfig,
} from '../auth/types';
import { assertSecureUrl } from '../auth/secure-url';
import type { Agent, EndpointAuth } from './agent';
import { maskSecret } from './secrets';

export const CONNECTION_INPUT = 'connection';
export const ENVIRONMENT_URL_INPUT = 'environmentUrl';
/** The endpoint type name (contract): tasks declare `connectedService:dataverse-alm`. */
export const ENDPOINT_TYPE = 'dataverse-alm';

export interface DataverseConnection {
  /** The service connection's id (the value of the `connection` input). */
  id: string;
  /** The environment to talk to: the `environmentUrl` input when given, else the connection's URL. No trailing slash. */
  environmentUrl: string;
  credential: CredentialConfig;
}

/** Runtime scheme names the agent passes (ENDPOINT_AUTH_SCHEME_<id>). */
const SCHEME_NONE = 'none';
const SCHEME_WIF = 'workloadidentityfederation';
const SCHEME_MSI = 'managedserviceidentity';

export function readDataverseConnection(agent: Agent, inputName = CONNECTION_INPUT): DataverseConnection {
  const id = agent.getInput(inputName)?.trim();
  if (!id) {
    throw new UserError(`Input '${inputName}' is required but empty.`, `Select a '${ENDPOINT_TYPE}' (Dataverse environment) service connection.`);
  }
  const auth = agent.getEndpointAuthorization(id);
  if (!auth) {
    throw new UserError(
      `Service connection '${id}' (input '${inputName}') has no authorization data on this agent.`,
      `Check that the connection exists, is of type 'Dataverse environment', and that this pipeline is authorized to use it.`);
  }
  const params = caseInsensitive(auth);
  // Mask first: nothing below may throw or log before every secret is registered.
  maskSecret(agent, params.get('clientSecret'));
  maskSecret(agent, params.get('certificate'));

  const credential = readCredential(agent, id, auth.scheme, params);
  const environmentUrl = readEnvironmentUrl(agent, id);
  return { id, environmentUrl, credential };
}

function readCredential(agent: Agent, id: string, scheme: string, params: ParamReader): CredentialConfig {
  const authorityHost = checkedUrl(params.get('authorityHost') || DEFAULT_AUTHORITY_HOST, `authority host of service connection '${id}'`);
  switch (scheme.toLowerCase()) {
    case SCHEME_NONE: {
      const tenantId = params.require('tenantId', 'Tenant ID');
      const clientId = params.require('applicationId', 'Application (client) ID');
      const clientSecret = params.get('clientSecret');
      const certificatePem = params.get('certificate');
      if (clientSecret && certificatePem) {
        throw new UserError(
          `Service connection '${id}' has both a client secret and a certificate for app ${clientId}; exactly one is allowed.`,
          'Edit the service connection and clear one of them.');
      }
      if (clientSecret) return { kind: 'clientSecret', authorityHost, tenantId, clientId, clientSecret };
      if (certificatePem) {
        if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certificatePem)) {
          throw new UserError(
            `The certificate in service connection '${id}' (app ${clientId}) has no private key.`,
            'Paste a PEM holding both the certificate and its private key (PKCS#8 or PKCS#1).');
        }
        return { kind: 'certificate', authorityHost, tenantId, clientId, certificatePem };
      }
      throw new UserError(
        `Service connection '${id}' has neither a client secret nor a certificate for app ${clientId}.`,
        'Edit the service connection and enter one of them (or use workload identity federation).');
    }
    case SCHEME_WIF: {
      const tenantId = params.require('tenantid', 'tenant id');
      const clientId = params.require('serviceprincipalid', 'service principal id');
      const systemAccessToken = readSystemAccessToken(agent);
      return {
        kind: 'workloadIdentity',
        authorityHost,
        tenantId,
        clientId,
        serviceConnectionId: id,
        oidcRequestUri: oidcRequestUri(agent),
        systemAccessToken,
      };
    }
    case SCHEME_MSI: {
      const clientId = params.get('clientId') || undefined;
      const imdsEndpoint = process.env[IMDS_ENDPOINT_ENV] || undefined;
      return {
        kind: 'managedIdentity',
        authorityHost,
        ...(clientId ? { clientId } : {}),
        ...(imdsEndpoint ? { imdsEndpoint: checkedUrl(imdsEndpoint, `${IMDS_ENDPOINT_ENV}`) } : {}),
      };
    }
    default:
      throw new UserError(
        `Service connection '${id}' uses the authentication scheme '${scheme}', which this task does not support.`,
        `Use a '${ENDPOINT_TYPE}' connection with an app registration (secret or certificate), workload identity federation or managed identity.`);
  }
}

function readEnvironmentUrl(agent: Agent, id: string): string {
  const override = agent.getInput(ENVIRONMENT_URL_INPUT)?.trim();
  if (override) return checkedUrl(override, `input '${ENVIRONMENT_URL_INPUT}'`).replace(/\/+$/, '');
  const url = agent.getEndpointUrl(id)?.trim();
  if (!url) {
    throw new UserError(`Service connection '${id}' has no URL.`, `Set the environment URL (https://<org>.crm.dynamics.com) on the connection or in input '${ENVIRONMENT_URL_INPUT}'.`);
  }
  return checkedUrl(url, `URL of service connection '${id}'`).replace(/\/+$/, '');
}

function readSystemAccessToken(agent: Agent): string {
  const token = agent.getEndpointAuthorization('SYSTEMVSSCONNECTION')?.parameters?.AccessToken;
  if (!token) {
    throw new UserError(
      'Workload identity federation needs the job access token (SYSTEMVSSCONNECTION), which this agent did not provide.',
      'Run the task on an Azure Pipelines agent (it provides the token to every job).');
  }
  maskSecret(agent, token);
  return token;
}

/** System.OidcRequestUri when the agent sets it, else built from the plan's variables. */
function oidcRequestUri(agent: Agent): string {
  const direct = agent.getVariable('System.OidcRequestUri')?.trim();
  if (direct) return direct;
  const variable = (name: string) => agent.getVariable(name)?.trim() || undefined;
  const required = {
    'System.CollectionUri': variable('System.CollectionUri') ?? variable('System.TeamFoundationCollectionUri'),
    'System.TeamProjectId': variable('System.TeamProjectId'),
    'System.HostType': variable('System.HostType'),
    'System.PlanId': variable('System.PlanId'),
    'System.JobId': variable('System.JobId'),
  };
  const missing = Object.entries(required).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) {
    throw new UserError(
      `Workload identity federation needs System.OidcRequestUri or the variables ${missing.join(', ')}, which are not set.`,
      'Run the task inside an Azure Pipelines job.');
  }
  const [collection, project, hub, plan, job] = Object.values(required) as string[];
  return `${collection.replace(/\/*$/, '/')}${project}/_apis/distributedtask/hubs/${hub}/plans/${plan}/jobs/${job}/oidctoken`;
}

/** The URL as given, once shared/auth has checked it is https:// (or http:// to a loopback host). */
function checkedUrl(value: string, what: string): string {
  assertSecureUrl(value, what);
  return value;
}

interface ParamReader {
  get(key: string): string | undefined;
  require(key: string, label: string): string;
}

/** The agent keeps the descriptor ids' casing, but older agents upper-case them: match either way. */
function caseInsensitive(auth: EndpointAuth): ParamReader {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(auth.parameters ?? {})) {
    if (typeof value === 'string') map.set(key.toLowerCase(), value);
  }
  const get = (key: string) => map.get(key.toLowerCase())?.trim() || undefined;
  return {
    get,
    require(key, label) {
      const value = get(key);
      if (!value) {
        throw new UserError(`The service connection has no ${label} ('${key}').`, 'Edit the service connection and fill it in.');
      }
      return value;
    },
  };
}

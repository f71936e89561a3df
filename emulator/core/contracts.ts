/**
 * Contract between the emulator core (server, Entra, control API, faults, throttling) and the
 * Dataverse module (solution lifecycle). The core authenticates the request, checks OData headers,
 * applies injected faults and service-protection limits, then hands the request to the module with
 * its body still unread (so large bodies can be streamed to disk).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface Identity {
  tenantId: string;
  /** Application (client) id of the caller: an app registration or a managed identity. */
  appId: string;
  /** Object id of the caller's application user in Dataverse (WhoAmI UserId). */
  objectId: string;
  kind: 'app' | 'managedIdentity';
}

export interface EnvironmentDescriptor {
  name: string;
  /** Environment URL without trailing slash, e.g. http://127.0.0.1:7071/env/dev */
  url: string;
  tenantId: string;
  organizationId: string;
  businessUnitId: string;
  /** The environment's entry from the seed file, as given (the Dataverse module reads its own keys). */
  seed: Record<string, unknown>;
}

export interface DataverseRequest {
  method: string;
  /** Path below /api/data/v9.x/ with no leading slash, percent-decoded, e.g. `asyncoperations(1b2…)`. */
  resource: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Body not yet read. */
  req: IncomingMessage;
  res: ServerResponse;
  env: EnvironmentDescriptor;
  identity: Identity;
  /** e.g. http://127.0.0.1:7071/env/dev/api/data/v9.2 */
  apiBase: string;
  requestId: string;
}

/** A control API call under `/_emulator/dataverse/…` (for example, simulating a maker's edit in Dev). */
export interface DataverseControlRequest {
  method: string;
  /** Path below `/_emulator/dataverse/` with no leading slash, percent-decoded, e.g. `dev/solutions/Contoso`. */
  path: string;
  query: URLSearchParams;
  /** The JSON body, parsed ({} when empty; the core answers 400 when it is not JSON). */
  body: unknown;
  res: ServerResponse;
}

export interface DataverseModule {
  /** Called for every environment at start and again after a reset. */
  createEnvironment(env: EnvironmentDescriptor): Promise<void> | void;
  /** Answers the request and returns true, or returns false when the route is unknown (core answers 404). */
  handle(request: DataverseRequest): Promise<boolean>;
  /** Drops all state (files on disk too). */
  reset(): Promise<void> | void;
  /** Releases timers and temp files when the emulator stops. */
  close(): Promise<void> | void;
  /** Optional control API extension: answers the call and returns true, or false when unknown (core answers 404). */
  control?(request: DataverseControlRequest): Promise<boolean>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; odata.metadata=minimal',
    'OData-Version': '4.0',
    'Content-Length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}

/** OData error in the Dataverse shape: { error: { code, message } } (protocol.md §2.3). */
export function sendODataError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

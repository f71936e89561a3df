/** Injected faults (control API `POST /_emulator/faults`): matched by method and path, used `count` times. */
import { ConfigError } from './seed';
import { pathMatches } from './pathPattern';

export type ResetMode = 'before-response' | 'mid-response';

export interface FaultSpec {
  method?: string;
  path: string;
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  retryAfter?: number | string;
  delayMs?: number;
  reset?: ResetMode;
  /** How many matching requests the fault hits; default 1, -1 = until removed. */
  count?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  count: number;
  /** Requests this fault has hit so far. */
  hits: number;
}

export class FaultStore {
  private faults: Fault[] = [];
  private nextId = 1;

  add(input: unknown): Fault {
    const fault = { ...validateFault(input), id: `fault-${this.nextId++}`, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault matching the request, consuming one of its uses. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => (f.method === undefined || f.method.toUpperCase() === method) && pathMatches(f.path, path));
    if (!fault) return undefined;
    fault.hits++;
    if (fault.count > 0 && fault.hits >= fault.count) this.remove(fault.id);
    return { ...fault };
  }
}

function validateFault(input: unknown): FaultSpec & { count: number } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('A fault must be a JSON object.');
  const f = input as Record<string, unknown>;
  const known = ['method', 'path', 'status', 'headers', 'body', 'retryAfter', 'delayMs', 'reset', 'count'];
  const unknown = Object.keys(f).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ConfigError(`Unknown fault field(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`);
  if (typeof f.path !== 'string' || !f.path.startsWith('/')) throw new ConfigError("Fault 'path' must be a request path starting with '/' (end it with '*' to match a prefix).");
  if (f.method !== undefined && typeof f.method !== 'string') throw new ConfigError("Fault 'method' must be a string such as 'GET'.");
  if (f.status !== undefined && (!Number.isInteger(f.status) || (f.status as number) < 100 || (f.status as number) > 599)) {
    throw new ConfigError("Fault 'status' must be an HTTP status code (100-599).");
  }
  if (f.headers !== undefined && (typeof f.headers !== 'object' || f.headers === null || Object.values(f.headers).some((v) => typeof v !== 'string'))) {
    throw new ConfigError("Fault 'headers' must be an object of string values.");
  }
  if (f.retryAfter !== undefined && typeof f.retryAfter !== 'number' && typeof f.retryAfter !== 'string') {
    throw new ConfigError("Fault 'retryAfter' must be seconds (number) or an HTTP date (string).");
  }
  if (f.delayMs !== undefined && (!Number.isInteger(f.delayMs) || (f.delayMs as number) < 0)) throw new ConfigError("Fault 'delayMs' must be a whole number of milliseconds.");
  if (f.reset !== undefined && f.reset !== 'before-response' && f.reset !== 'mid-response') {
    throw new ConfigError("Fault 'reset' must be 'before-response' or 'mid-response'.");
  }
  const count = f.count ?? 1;
  if (!Number.isInteger(count) || (count as number) === 0 || (count as number) < -1) throw new ConfigError("Fault 'count' must be a positive integer, or -1 for every matching request.");
  if (f.status === undefined && f.reset === undefined && f.delayMs === undefined) {
    throw new ConfigError("A fault needs at least one of 'status', 'reset' or 'delayMs'.");
  }
  return { ...(f as unknown as FaultSpec), method: f.method === undefined ? undefined : (f.method as string).toUpperCase(), count: count as number };
}

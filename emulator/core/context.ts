/** State of one emulator instance and of one request passing through it (no global state anywhere). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DataverseModule, Identity } from './contracts';
import type { Directory } from './directory';
import type { Fault, FaultStore } from './faults';
import type { ServiceLimits, LimitVerdict } from './limits';
import type { LoggedRequest, RequestLog } from './requestLog';
import type { ResolvedSeed } from './seed';
import type { TokenService } from './tokens';

export interface EmulatorContext {
  /** e.g. http://127.0.0.1:7071 (no trailing slash). */
  baseUrl: string;
  seed: ResolvedSeed;
  directory: Directory;
  tokens: TokenService;
  faults: FaultStore;
  limits: ServiceLimits;
  log: RequestLog;
  dataverse: DataverseModule;
  /** Waits, or rejects when the emulator stops. */
  sleep(ms: number): Promise<void>;
}

export interface RequestContext {
  emulator: EmulatorContext;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** Percent-encoded path as sent (faults and limits match it). */
  path: string;
  requestId: string;
  entry: LoggedRequest;
  /** A fault that lets the request through but slows it down or cuts its answer. */
  passThroughFault?: Fault;
}

/** Records who is calling (request log). */
export function setIdentity(rc: RequestContext, identity: Identity): void {
  rc.entry.identity = identity;
}

/**
 * Applies service protection limits to a request of `identityKey` when the limits cover its path.
 * Returns the refusal, or undefined after taking a concurrency slot that is given back when the
 * response closes.
 */
export function admitRequest(rc: RequestContext, identityKey: string): Exclude<LimitVerdict, { ok: true }> | undefined {
  const { limits } = rc.emulator;
  if (!limits.appliesTo(rc.path)) return undefined;
  const verdict = limits.admit(identityKey);
  if (!verdict.ok) return verdict;
  rc.res.once('close', verdict.release);
  // Dataverse sends this on every response (protocol.md §2.4, debug headers).
  rc.res.setHeader('x-ms-ratelimit-burst-remaining-xrm-requests', String(verdict.remaining));
  return undefined;
}

/**
 * Runs the parts of a pass-through fault that belong just before the answer: the delay (while the
 * request holds its concurrency slot, like a slow server) and the mid-response cut.
 * Returns false when the response can no longer be written (client gone, emulator stopping).
 */
export async function beforeAnswer(rc: RequestContext): Promise<boolean> {
  const fault = rc.passThroughFault;
  if (fault?.delayMs) await rc.emulator.sleep(fault.delayMs);
  if (rc.res.destroyed || rc.res.writableEnded) return false;
  if (fault?.reset === 'mid-response') cutResponseMidway(rc.res);
  return true;
}

/** Lets the handler write its answer, then sends the headers and half of the body and drops the connection. */
export function cutResponseMidway(res: ServerResponse): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (chunk: Buffer, cb: () => void) => boolean;
  const collect = (chunk: unknown, encoding?: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8'));
  };
  res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    collect(chunk, encoding);
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (typeof callback === 'function') process.nextTick(callback as () => void);
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, encoding?: unknown) => {
    collect(chunk, encoding);
    const body = Buffer.concat(chunks);
    write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return res;
  }) as ServerResponse['end'];
}

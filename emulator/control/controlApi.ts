/** Control API under `/_emulator/` (contract: emulator/README.md). Never faulted, limited or logged. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../core/context';
import { BodyTooLargeError, readBody, safeDecode, sendPlainJson } from '../core/http';
import { buildInfo } from '../core/info';
import { handleDevOpsControl } from '../devops';
import { checkNonNegativeInteger, ConfigError, mergeLimits } from '../core/seed';

export interface ControlHooks {
  reset(): Promise<void>;
}

export function isControlPath(path: string): boolean {
  return path === '/_emulator' || path.startsWith('/_emulator/');
}

export async function handleControlRequest(ctx: EmulatorContext, hooks: ControlHooks, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.replace(/\/+$/, '');
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /_emulator/info':
        return sendPlainJson(res, 200, buildInfo(ctx));
      case 'POST /_emulator/reset':
        await hooks.reset();
        return sendPlainJson(res, 200, { reset: true });
      case 'GET /_emulator/faults':
        return sendPlainJson(res, 200, ctx.faults.list());
      case 'POST /_emulator/faults': {
        const fault = ctx.faults.add(await readJson(req));
        return sendPlainJson(res, 201, { id: fault.id });
      }
      case 'DELETE /_emulator/faults':
        ctx.faults.clear();
        return sendPlainJson(res, 200, { deleted: true });
      case 'GET /_emulator/requests':
        return sendPlainJson(res, 200, ctx.log.list(url.searchParams.get('path') ?? undefined));
      case 'DELETE /_emulator/requests':
        ctx.log.clear();
        return sendPlainJson(res, 200, { deleted: true });
      case 'POST /_emulator/settings':
        applySettings(ctx, await readJson(req));
        return sendPlainJson(res, 200, { tokenLifetimeSeconds: ctx.tokens.lifetimeSeconds, limits: ctx.limits.limits });
      case 'POST /_emulator/tokens/expire':
        return sendPlainJson(res, 200, { expired: ctx.tokens.expireAll() });
    }
    if (path.startsWith('/_emulator/dataverse/')) {
      const handled = await ctx.dataverse.control?.({
        method,
        path: safeDecode(path.slice('/_emulator/dataverse/'.length)),
        query: url.searchParams,
        body: await readJson(req),
        res,
      });
      if (handled) return;
    }
    if (path.startsWith('/_emulator/devops/')) {
      const handled = handleDevOpsControl(ctx, {
        method,
        path: safeDecode(path.slice('/_emulator/devops/'.length)).toLowerCase(),
        body: await readJson(req),
        res,
      });
      if (handled) return;
    }
    const faultId = /^DELETE \/_emulator\/faults\/([^/]+)$/.exec(route)?.[1];
    if (faultId !== undefined) {
      const removed = ctx.faults.remove(safeDecode(faultId));
      return sendPlainJson(res, removed ? 200 : 404, removed ? { deleted: true } : { error: `No fault with id '${faultId}'.` });
    }
    sendPlainJson(res, 404, { error: `Unknown control call ${route}. See emulator/README.md (Control API).` });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BodyTooLargeError || error instanceof SyntaxError) {
      return sendPlainJson(res, 400, { error: `${route}: ${error.message}` });
    }
    throw error;
  }
}

function applySettings(ctx: EmulatorContext, body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError('Settings must be a JSON object.');
  const { tokenLifetimeSeconds, limits, ...unknown } = body as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new ConfigError(`Unknown setting(s) ${extra.join(', ')}; known: tokenLifetimeSeconds, limits.`);
  // Validate everything before changing anything.
  if (tokenLifetimeSeconds !== undefined) checkNonNegativeInteger(tokenLifetimeSeconds, 'tokenLifetimeSeconds');
  const merged = limits === undefined ? undefined : mergeLimits(ctx.limits.limits, limits as Record<string, never>, 'limits');
  if (tokenLifetimeSeconds !== undefined) ctx.tokens.lifetimeSeconds = tokenLifetimeSeconds;
  if (merged) ctx.limits.limits = merged;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`Request body is not valid JSON: ${(error as Error).message}`);
  }
}

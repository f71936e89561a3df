import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import type { ProxySettings } from './types';

export interface ResolvedProxy {
  /** Proxy URL including credentials: never log it, log `display` instead. */
  url: string;
  display: string;
}

/**
 * The proxy for a target URL: the agent's proxy settings when given (bypass entries are regular expressions
 * tested against the whole URL, as the agent does), else HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
 */
export function resolveProxy(targetUrl: string, settings?: ProxySettings): ResolvedProxy | undefined {
  if (settings?.url) {
    const bypassed = (settings.bypass ?? []).some((pattern) => safeRegExp(pattern)?.test(targetUrl));
    if (bypassed) return undefined;
    const url = new URL(settings.url);
    if (settings.username) {
      url.username = encodeURIComponent(settings.username);
      url.password = encodeURIComponent(settings.password ?? '');
    }
    return { url: url.toString(), display: `${url.protocol}//${url.host}` };
  }
  const fromEnv = getProxyForUrl(targetUrl);
  if (!fromEnv) return undefined;
  const url = new URL(fromEnv);
  return { url: url.toString(), display: `${url.protocol}//${url.host}` };
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return undefined;
  }
}

/**
 * Connection agents of one client: keep-alive direct agents, plus one proxy agent per proxy URL (CONNECT
 * tunnel for https targets, absolute-form requests for http targets). Owned by the client, never shared.
 */
export class AgentPool {
  private readonly direct: { http: http.Agent; https: https.Agent };
  private readonly viaProxy = new Map<string, http.Agent>();

  constructor(private readonly ca?: string | Buffer) {
    this.direct = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({ keepAlive: true, ca }),
    };
  }

  agentsFor(targetUrl: string, proxy: ResolvedProxy | undefined): { httpAgent: http.Agent; httpsAgent: https.Agent } {
    if (!proxy) return { httpAgent: this.direct.http, httpsAgent: this.direct.https };
    const secure = targetUrl.startsWith('https:');
    const key = `${secure ? 'https' : 'http'} ${proxy.url}`;
    let agent = this.viaProxy.get(key);
    if (!agent) {
      agent = secure
        ? new TunnelAgent(proxy.url, this.ca)
        : new HttpProxyAgent(proxy.url, { keepAlive: true });
      this.viaProxy.set(key, agent);
    }
    return secure
      ? { httpAgent: this.direct.http, httpsAgent: agent as https.Agent }
      : { httpAgent: agent, httpsAgent: this.direct.https };
  }

  destroy(): void {
    this.direct.http.destroy();
    this.direct.https.destroy();
    for (const agent of this.viaProxy.values()) agent.destroy();
    this.viaProxy.clear();
  }
}

/** CONNECT tunnel agent that also trusts the extra CA for the target's TLS (the base class drops agent options there). */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(proxyUrl: string, private readonly extraCa?: string | Buffer) {
    super(proxyUrl, { keepAlive: true });
  }

  override connect(req: http.ClientRequest, opts: AgentConnectOpts): Promise<net.Socket> {
    return super.connect(req, this.extraCa && opts.secureEndpoint ? { ...opts, ca: this.extraCa } : opts);
  }
}

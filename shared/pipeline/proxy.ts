/**
 * The agent's proxy (Agent.ProxyUrl and friends, set when the agent is configured with --proxyurl) as
 * shared/http ProxySettings. Without an agent proxy shared/http falls back to HTTPS_PROXY/NO_PROXY.
 */
import type { ProxySettings } from '../http/types';
import type { Agent } from './agent';
import { maskSecret } from './secrets';

export function readAgentProxy(agent: Agent): ProxySettings | undefined {
  const proxy = agent.getProxy();
  if (!proxy?.proxyUrl) return undefined;
  maskSecret(agent, proxy.proxyPassword);
  return {
    url: proxy.proxyUrl,
    ...(proxy.proxyUsername ? { username: proxy.proxyUsername } : {}),
    ...(proxy.proxyPassword ? { password: proxy.proxyPassword } : {}),
    ...(proxy.proxyBypassHosts?.length ? { bypass: proxy.proxyBypassHosts } : {}),
  };
}

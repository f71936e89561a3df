import { UserError } from '../core';

/** 127.0.0.0/8, localhost and [::1]: the only hosts that may be reached over plain http:// (the emulator). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses `url` and refuses anything but https://, except http:// to a loopback host. `what` names the setting
 * in the error ("authority host (authorityHost)", "environment URL").
 */
export function assertSecureUrl(url: string, what: string, extraHttpHosts: readonly string[] = []): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`The ${what} '${url}' is not a valid URL.`, 'Give an absolute https:// URL.');
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && (isLoopbackHost(parsed.hostname) || extraHttpHosts.includes(parsed.hostname))) {
    return parsed;
  }
  throw new UserError(
    `The ${what} '${parsed.protocol}//${parsed.host}' is not allowed: it must use https://.`,
    'http:// is accepted only for loopback hosts (127.0.0.1, localhost, [::1]), such as the local emulator.',
  );
}

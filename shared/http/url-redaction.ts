/** Query parameter names whose values may be credentials (SAS signatures, codes, tokens, keys). */
const SECRET_PARAM = /sig|signature|token|secret|password|passwd|key|code|assertion|credential|auth/i;

/**
 * The URL as it may appear in logs and error messages: user info removed, values of query parameters that
 * could be secrets replaced by `***`. Other query values (OData $select/$filter, api-version) stay readable.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\?.*$/, '?***');
  }
  parsed.username = '';
  parsed.password = '';
  if (!parsed.search) return parsed.toString();
  const parts = parsed.search.slice(1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const name = safeDecode(pair.slice(0, eq));
    return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=***` : pair;
  });
  return `${parsed.origin}${parsed.pathname}?${parts.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Which Power Apps checker endpoint to call (protocol.md §9.1): an explicit URL, a geography name, or derived
 * from the environment host the way Power Platform Build Tools do (`Get-PACheckerEndpoint`), defaulting to the
 * United States like they do.
 */
import { UserError } from '../core';
import { assertSecureUrl, isLoopbackHost } from '../auth';

/** Geography name → checker host (the docs table plus Switzerland from Build Tools). */
export const CHECKER_GEOGRAPHIES: Readonly<Record<string, string>> = {
  unitedstatesfirstrelease: 'unitedstatesfirstrelease.api.advisor.powerapps.com',
  unitedstates: 'unitedstates.api.advisor.powerapps.com',
  europe: 'europe.api.advisor.powerapps.com',
  asia: 'asia.api.advisor.powerapps.com',
  australia: 'australia.api.advisor.powerapps.com',
  japan: 'japan.api.advisor.powerapps.com',
  india: 'india.api.advisor.powerapps.com',
  canada: 'canada.api.advisor.powerapps.com',
  southamerica: 'southamerica.api.advisor.powerapps.com',
  unitedkingdom: 'unitedkingdom.api.advisor.powerapps.com',
  france: 'france.api.advisor.powerapps.com',
  germany: 'germany.api.advisor.powerapps.com',
  unitedarabemirates: 'unitedarabemirates.api.advisor.powerapps.com',
  switzerland: 'switzerland.api.advisor.powerapps.com',
  gov: 'gov.api.advisor.powerapps.us',
  high: 'high.api.advisor.powerapps.us',
  mil: 'mil.api.advisor.appsplatform.us',
  china: 'china.api.advisor.powerapps.cn',
};

/** `crmN` region label of a public-cloud environment host (`<org>.crmN.dynamics.com`) → geography. */
const PUBLIC_REGIONS: Readonly<Record<string, string>> = {
  crm: 'unitedstates',
  crm2: 'southamerica',
  crm3: 'canada',
  crm4: 'europe',
  crm5: 'asia',
  crm6: 'australia',
  crm7: 'japan',
  crm8: 'india',
  crm9: 'gov',
  crm11: 'unitedkingdom',
  crm12: 'france',
  crm15: 'unitedarabemirates',
  crm16: 'germany',
  crm17: 'switzerland',
};

/** Sovereign-cloud environment domains → geography. Build Tools v0 spells the DoD host `appsplatforms`; v2 `appsplatform`. */
const SOVEREIGN_DOMAINS: readonly [string, string][] = [
  ['crm.dynamics.cn', 'china'],
  ['crm.microsoftdynamics.us', 'high'],
  ['crm.appsplatform.us', 'mil'],
  ['crm.appsplatforms.us', 'mil'],
];

const DEFAULT_GEOGRAPHY = 'unitedstates';

export interface CheckerEndpointInput {
  /** Explicit checker base URL (wins over everything), e.g. https://japan.api.advisor.powerapps.com/ or the emulator's. */
  checkerUrl?: string;
  /** A geography name from CHECKER_GEOGRAPHIES (case and spaces ignored), e.g. "Europe", "United Kingdom". */
  geography?: string;
  /** The environment URL the solution comes from. */
  environmentUrl?: string;
}

export interface CheckerEndpoint {
  /** Base URL without trailing slash; the API is under `${url}/api/…`. */
  url: string;
  geography?: string;
  /** How it was chosen, for the log ("from the environment host contoso.crm4.dynamics.com"). */
  reason: string;
  /** Set when the choice is a fallback the user may want to override. */
  warning?: string;
}

export function resolveCheckerEndpoint(input: CheckerEndpointInput): CheckerEndpoint {
  if (input.checkerUrl?.trim()) {
    const parsed = assertSecureUrl(input.checkerUrl.trim(), 'checker URL');
    return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`, reason: 'given explicitly' };
  }
  if (input.geography?.trim()) {
    const geography = input.geography.replace(/[\s_-]+/g, '').toLowerCase();
    const host = CHECKER_GEOGRAPHIES[geography];
    if (!host) {
      throw new UserError(`Unknown checker geography '${input.geography}'.`,
        `Use one of ${Object.keys(CHECKER_GEOGRAPHIES).join(', ')}, or give the checker URL.`);
    }
    return { url: `https://${host}`, geography, reason: `geography '${input.geography}'` };
  }
  if (input.environmentUrl?.trim()) return endpointForEnvironment(input.environmentUrl.trim());
  throw new UserError('Cannot choose a Power Apps checker endpoint: no checker URL, geography or environment URL was given.',
    'Give the environment URL, or the checker geography or URL.');
}

export function endpointForEnvironment(environmentUrl: string): CheckerEndpoint {
  const host = assertSecureUrl(environmentUrl, 'environment URL').hostname.toLowerCase();
  if (isLoopbackHost(host)) {
    throw new UserError(`The checker endpoint cannot be derived from the local environment URL '${environmentUrl}'.`,
      'Give the checker URL explicitly (for the emulator: its checkerUrl).');
  }
  const from = `from the environment host ${host}`;
  for (const [domain, geography] of SOVEREIGN_DOMAINS) {
    if (host === domain || host.endsWith(`.${domain}`)) return { url: `https://${CHECKER_GEOGRAPHIES[geography]}`, geography, reason: from };
  }
  const region = /(?:^|\.)(crm\d*)\.dynamics\.com$/.exec(host)?.[1];
  const geography = region ? PUBLIC_REGIONS[region] : undefined;
  if (geography) return { url: `https://${CHECKER_GEOGRAPHIES[geography]}`, geography, reason: from };
  return {
    url: `https://${CHECKER_GEOGRAPHIES[DEFAULT_GEOGRAPHY]}`,
    geography: DEFAULT_GEOGRAPHY,
    reason: `default (no known checker geography for ${host})`,
    warning: `No checker geography is known for the environment host ${host}; using the United States checker. ` +
      'Set the checker geography or URL if your data must stay in its region.',
  };
}

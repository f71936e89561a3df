/** Checker rulesets (protocol.md §9.3): the two well-known ones by GUID, others looked up by name. */
import { UserError } from '../core';

export interface Ruleset {
  id: string;
  name: string;
}

export const SOLUTION_CHECKER_RULESET: Ruleset = { id: '0ad12346-e108-40b8-a956-9a8f95ea18c9', name: 'Solution Checker' };
export const APPSOURCE_CERTIFICATION_RULESET: Ruleset = { id: '083a2ef5-7e0e-4754-9d88-9455142dc08b', name: 'AppSource Certification' };
export const WELL_KNOWN_RULESETS: readonly Ruleset[] = [SOLUTION_CHECKER_RULESET, APPSOURCE_CERTIFICATION_RULESET];

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** "Solution Checker", "solutionchecker", "solution-checker" all compare equal. */
function nameKey(name: string): string {
  return name.replace(/[\s_-]+/g, '').toLowerCase();
}

/**
 * A ruleset from a GUID or a name. Well-known names and GUIDs resolve without a call; other names are looked up
 * in `list()` (the service's ruleset listing), which is only called when needed.
 */
export async function resolveRuleset(idOrName: string, list: () => Promise<Ruleset[]>): Promise<Ruleset> {
  const text = idOrName.trim();
  if (text === '') return SOLUTION_CHECKER_RULESET;
  const guid = GUID.exec(text)?.[1]?.toLowerCase();
  if (guid) return WELL_KNOWN_RULESETS.find((r) => r.id === guid) ?? { id: guid, name: guid };
  const known = WELL_KNOWN_RULESETS.find((r) => nameKey(r.name) === nameKey(text));
  if (known) return known;
  const available = await list();
  const found = available.find((r) => nameKey(r.name) === nameKey(text));
  if (found) return { id: found.id.toLowerCase(), name: found.name };
  throw new UserError(`The checker has no ruleset named '${text}'.`,
    `Available: ${available.map((r) => `'${r.name}'`).join(', ') || 'none were listed'}; or give the ruleset GUID.`);
}

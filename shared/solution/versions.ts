import { UserError } from '../core';

/** A Dataverse solution version: 2 to 4 numeric parts, each 0–2147483647 (Int32 range). */
export interface SolutionVersion {
  readonly parts: readonly number[];
  readonly text: string;
}

const MAX_PART = 2147483647;
const PART_NAMES = ['major', 'minor', 'build', 'revision'];

function partName(index: number): string {
  return `part ${index + 1} (${PART_NAMES[index] ?? '?'})`;
}

function checkPart(raw: string, index: number, whole: string, what: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new UserError(`${what} '${whole}' is invalid: ${partName(index)} '${raw}' is not a non-negative whole number.`,
      'Use digits only, e.g. 1.2.3.4.');
  }
  const value = Number(raw);
  if (value > MAX_PART) {
    throw new UserError(`${what} '${whole}' is invalid: ${partName(index)} ${raw} is larger than ${MAX_PART}.`,
      'Each part must fit a 32-bit signed integer.');
  }
  return value;
}

/** Parses and validates a version string ("1.5", "0.0.7", "1.2.3.4"). Throws UserError naming the bad part. */
export function parseVersion(text: string, what = 'Version'): SolutionVersion {
  const trimmed = text.trim();
  const raw = trimmed.split('.');
  if (trimmed === '' || raw.length < 2 || raw.length > 4) {
    throw new UserError(`${what} '${text}' is invalid: it has ${trimmed === '' ? 0 : raw.length} part(s); a solution version has 2 to 4 parts separated by dots.`,
      'Use major.minor[.build[.revision]], e.g. 1.0.0.0.');
  }
  const parts = raw.map((p, i) => checkPart(p, i, trimmed, what));
  return { parts, text: parts.join('.') };
}

export function isValidVersion(text: string): boolean {
  try { parseVersion(text); return true; } catch { return false; }
}

/** Compares two versions part by part; missing parts count as 0 ("1.2" equals "1.2.0.0"). */
export function compareVersions(a: string | SolutionVersion, b: string | SolutionVersion): -1 | 0 | 1 {
  const pa = typeof a === 'string' ? parseVersion(a).parts : a.parts;
  const pb = typeof b === 'string' ? parseVersion(b).parts : b.parts;
  for (let i = 0; i < 4; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Pattern examples for a source version with `parts` parts: one that keeps it, one that sets the build part. */
function patternExamples(parts: number): string {
  const keep = Array<string>(parts).fill('*');
  const build = [...keep];
  build[Math.min(2, parts - 1)] = '$(Build.BuildId)';
  if (parts === 4) build[3] = '0';
  return `'${keep.join('.')}' or '${build.join('.')}'`;
}

/**
 * Applies a version pattern to a source version. Each pattern part is a number or `*` (keep the source's part),
 * and the pattern has as many parts as the source version, so no part is silently dropped or invented. A full
 * version without `*` is taken as it is (2 to 4 parts). Build variables must already be expanded
 * (`*.*.$(Build.BuildId).0` arrives here as `*.*.123.0`). `what` names the input in errors.
 */
export function applyVersionPattern(source: string, pattern: string, what = 'Version pattern'): string {
  const src = parseVersion(source, 'Source version');
  const trimmed = pattern.trim();
  const variable = /\$\([^)]*\)/.exec(trimmed);
  if (variable) {
    throw new UserError(`${what} '${pattern}' still contains the pipeline variable ${variable[0]}.`,
      'Check the variable name; Azure Pipelines leaves unknown variables as $(Name).');
  }
  if (!trimmed.includes('*')) return parseVersion(trimmed, what).text;
  const raw = trimmed.split('.');
  if (raw.length < 2 || raw.length > 4) {
    throw new UserError(`${what} '${pattern}' is invalid: it has ${raw.length} part(s); use 2 to 4 parts, each a number or '*'.`,
      "Example: '*.*.$(Build.BuildId).0'.");
  }
  if (raw.length !== src.parts.length) {
    throw new UserError(`${what} '${pattern}' has ${raw.length} parts but the source version '${src.text}' has ${src.parts.length}; ` +
      'a pattern must have one part per source part, otherwise parts would be dropped or invented.',
      `Use a ${src.parts.length}-part pattern, e.g. ${patternExamples(src.parts.length)}, or a full version such as '1.2.3.4'.`);
  }
  return raw.map((p, i) => (p === '*' ? src.parts[i] : checkPart(p, i, trimmed, what))).join('.');
}

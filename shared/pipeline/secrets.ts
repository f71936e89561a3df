/**
 * Registers secrets with the agent (`##vso[task.setsecret]`) so it masks them in every later log line.
 * A secret can leak in a derived form too, so its base64 and base64url encodings are registered as well.
 * The agent refuses multi-line secrets, so a PEM is registered line by line (each body line is a run of
 * base64 key material) plus its single-line encodings.
 */
import type { Agent } from './agent';

/** PEM lines and derived encodings shorter than this are too short to be meaningful secrets. */
const MIN_MASKED_LENGTH = 8;

export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (v: string) => { if (v.length >= MIN_MASKED_LENGTH) forms.add(v); };
  const trimmed = value.trim();
  if (!trimmed) return [];
  const lines = trimmed.split(/\r?\n/).map((l) => l.trim());
  if (lines.length === 1) {
    forms.add(trimmed);
  } else {
    for (const line of lines) if (!line.startsWith('-----')) add(line);
    // The body of each PEM block joined into one line (its base64 DER), as tools often print it.
    add(lines.filter((l) => !l.startsWith('-----')).join(''));
  }
  for (const v of new Set([value, trimmed])) {
    const bytes = Buffer.from(v, 'utf8');
    add(bytes.toString('base64'));
    add(bytes.toString('base64url'));
  }
  return [...forms];
}

export function maskSecret(agent: Agent, value: string | undefined): void {
  if (!value) return;
  for (const form of secretForms(value)) agent.setSecret(form);
}

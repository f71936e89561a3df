/** Dataverse solution versions: two to four dot-separated non-negative integers (major.minor[.build[.revision]]). */
export type SolutionVersion = readonly number[];

export function parseVersion(text: string): SolutionVersion | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+){1,3}$/.test(trimmed)) return undefined;
  return trimmed.split('.').map((part) => Number(part));
}

/** Negative when a < b, 0 when equal, positive when a > b; missing parts count as 0 (1.0 == 1.0.0.0). */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [];
  const pb = parseVersion(b) ?? [];
  for (let i = 0; i < 4; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

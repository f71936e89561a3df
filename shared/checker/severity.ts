/** Power Apps checker severities, most severe first (protocol.md §9.8). */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Informational'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type SeverityCounts = Record<Severity, number>;

export function emptyCounts(): SeverityCounts {
  return { Critical: 0, High: 0, Medium: 0, Low: 0, Informational: 0 };
}

/** 0 for Critical … 4 for Informational. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

const ALIASES: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
  information: 'Informational',
  info: 'Informational',
};

/** A checker severity value read case-insensitively ("high", "HIGH", "Informational", "Info"); undefined otherwise. */
export function parseSeverity(value: unknown): Severity | undefined {
  if (typeof value !== 'string') return undefined;
  return ALIASES[value.trim().toLowerCase()];
}

export function addCounts(a: SeverityCounts, b: SeverityCounts): SeverityCounts {
  const sum = emptyCounts();
  for (const s of SEVERITIES) sum[s] = a[s] + b[s];
  return sum;
}

export function totalCount(counts: SeverityCounts): number {
  return SEVERITIES.reduce((n, s) => n + counts[s], 0);
}

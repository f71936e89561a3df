/** Timeout for a request that uploads `bytes`: long enough for a slow agent link (100 kB/s), never under two minutes. */
export function uploadTimeoutMs(bytes: number): number {
  return 120_000 + Math.ceil(bytes / 100_000) * 1_000;
}

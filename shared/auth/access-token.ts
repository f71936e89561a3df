/** A token as obtained from a service, before caching. */
export interface AccessToken {
  token: string;
  /** Absolute expiry, ms since the epoch. */
  expiresOnMs: number;
}

/** Seconds-until-expiry from `expires_in` (number or numeric string); 1 hour when missing or unreadable. */
export function expiresOnFrom(expiresIn: unknown, nowMs: number): number {
  const seconds = typeof expiresIn === 'number' ? expiresIn : Number(expiresIn);
  return nowMs + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000;
}

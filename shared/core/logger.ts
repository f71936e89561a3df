/** Minimal logging surface used by every layer below shared/pipeline (which implements it over task-lib). */
export interface Logger {
  /** Shown only when system.debug is true. Never pass secrets here either: masking is the last line of defence. */
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

/**
 * An expected failure the user can fix (bad input, missing file, server said no). Tasks print its message
 * without a stack trace. `hint` says what to do about it.
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message} ${hint}` : message);
    this.name = 'UserError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

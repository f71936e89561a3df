/** Errors answered as OData errors ({ error: { code, message } }) with the status Dataverse uses. */
export class ODataFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export const LOCK_ERROR_CODE = '0x80071151';

/** The CustomizationLockException text (protocol.md §2.5); `requested` and `running` are operation names like Import. */
export function lockMessage(requested: string, running: string): string {
  const head = requested === running
    ? `Cannot start another [${requested}] because there is a previous [${running}] running at this moment.`
    : `Cannot start the requested operation [${requested}] because there is another [${running}] running at this moment.`;
  return `${head} Use Solution History for more details. -- The solution installation or removal failed due to the ` +
    'installation or removal of another solution at the same time. Please try again later.';
}

export function solutionNotFound(uniqueName: string): ODataFailure {
  return new ODataFailure(404, '0x80040217', `The solution with unique name '${uniqueName}' does not exist in this environment.`);
}

export function recordNotFound(entity: string, id: string): ODataFailure {
  return new ODataFailure(404, '0x80040217', `${entity} With Id = ${id} Does Not Exist`);
}

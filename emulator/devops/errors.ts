/** Azure DevOps REST error responses (`{ $id, innerException, message, typeName, typeKey, errorCode, eventId }`). */
import type { ServerResponse } from 'node:http';
import { sendPlainJson } from '../core/http';

export class DevOpsApiError extends Error {
  constructor(readonly status: number, message: string, readonly typeKey: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export function sendDevOpsError(res: ServerResponse, error: DevOpsApiError): void {
  sendPlainJson(res, error.status, {
    $id: '1',
    ...error.extra,
    innerException: null,
    message: error.message,
    typeName: `Microsoft.TeamFoundation.WorkItemTracking.Server.${error.typeKey}, Microsoft.TeamFoundation.WorkItemTracking.Server`,
    typeKey: error.typeKey,
    errorCode: 0,
    eventId: 3200,
  });
}

export function ruleError(field: string, fieldName: string, status: string, message: string): DevOpsApiError {
  return new DevOpsApiError(400, `TF401320: Rule Error for field ${fieldName}. Error code: ${status}.`, 'RuleValidationException', {
    customProperties: { FieldReferenceName: field, FieldStatusCode: status, ErrorMessage: message },
  });
}

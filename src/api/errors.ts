/**
 * Errors with the Svix wire shape `{code, detail}`. Handlers map store outcomes to these; the error handler in
 * server.ts renders them, and renders anything unexpected as a 500 without internals.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface ValidationIssue {
  loc: string[];
  msg: string;
  type: string;
}

/** 422 with Svix's `{detail: [{loc, msg, type}]}` body. */
export class ValidationFailed extends Error {
  readonly statusCode = 422;
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; '));
  }
}

export const notFound = (detail = 'Entity not found') => new ApiError(404, 'not_found', detail);
export const conflict = (detail = 'A conflict has occurred') => new ApiError(409, 'conflict', detail);
export const preconditionFailed = () =>
  new ApiError(412, 'precondition_failed', 'The resource has changed since the ETag given in If-Match');
export const unauthorized = (detail = 'Incorrect authentication credentials.') => new ApiError(401, 'authentication_failed', detail);
export const forbidden = (detail = 'Insufficient access for the given operation.') => new ApiError(403, 'insufficient_access', detail);
export const badRequest = (code: string, detail: string) => new ApiError(400, code, detail);

export function invalid(loc: string[], msg: string, type = 'value_error'): ValidationFailed {
  return new ValidationFailed([{ loc, msg, type }]);
}

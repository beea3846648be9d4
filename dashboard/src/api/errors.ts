export interface ValidationIssue {
  loc: string[];
  msg: string;
}

/**
 * An API answer other than 2xx, in any of the API's three shapes: `{code, detail}`, a 422's
 * `{detail: [{loc, msg}]}`, or an OAuth endpoint's `{error, error_description}` (RFC 6749).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(`${status} ${code}: ${detail}`);
  }

  static async from(response: Response): Promise<ApiError> {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON (a proxy's error page, say): the status line is all there is to show.
    }
    const shape = (body ?? {}) as { code?: unknown; detail?: unknown; error?: unknown; error_description?: unknown };
    if (Array.isArray(shape.detail)) {
      const issues = (shape.detail as ValidationIssue[]).map((issue) => ({ loc: issue.loc ?? [], msg: String(issue.msg) }));
      return new ApiError(response.status, 'validation_error', 'The request was refused as invalid.', issues);
    }
    if (typeof shape.error === 'string') return new ApiError(response.status, shape.error, String(shape.error_description ?? ''));
    const code = typeof shape.code === 'string' ? shape.code : `http_${response.status}`;
    const detail = typeof shape.detail === 'string' ? shape.detail : response.statusText || 'The request failed.';
    return new ApiError(response.status, code, detail);
  }
}

/** A failure as one line of text, for places too small for the whole error box. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const issues = error.issues.map((issue) => `${issue.loc.filter((part) => part !== 'body').join('.')}: ${issue.msg}`);
    return issues.length > 0 ? issues.join('; ') : `${error.detail} (${error.code})`;
  }
  if (error instanceof TypeError) return 'Hookyard could not be reached. Check that it is running, then retry.';
  return error instanceof Error ? error.message : String(error);
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ApiError, invalid } from './errors.js';

/** Deeper JSON is refused before parsing: parsing and re-serialising it recursively could exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, for idempotency fingerprints. */
    rawBody?: string;
  }
}

function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** JSON bodies: prototype-poisoning keys refused, depth bounded, raw text kept. */
export function registerJsonBodyParser(app: FastifyInstance): void {
  // Only JSON is spoken here; text/plain and others get 415 instead of reaching validation as strings.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/, { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') {
      done(new ApiError(400, 'invalid_json', 'The request body is empty but the content type is JSON'), undefined);
      return;
    }
    if (depthExceeds(text, MAX_JSON_DEPTH)) {
      done(invalid(['body'], `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'value_error.depth'), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}

/** Strings with NUL characters cannot be stored in PostgreSQL text columns, so they are refused everywhere. */
export function findNulString(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulString(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key];
      const found = findNulString(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Route hook for operations whose body is optional (the Svix SDKs send none): validates an absent body as `{}`,
 * since Fastify would otherwise check `undefined` against the body schema and refuse it.
 */
export async function absentBodyAsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

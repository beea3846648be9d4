import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { ValidationProblem } from '../store/port.js';

/**
 * JSON Schema validation of inbound payloads by event type. Schemas are compiled once per source version and event
 * type; the cache is bounded because sources, versions and types are many over a long-running process.
 */
const CACHE_LIMIT = 512;
const MAX_PROBLEMS = 20;

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

const compiled = new Map<string, ValidateFunction>();

function compile(cacheKey: string, schema: unknown): ValidateFunction {
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const validate = ajv.compile(schema as object);
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
  compiled.set(cacheKey, validate);
  return validate;
}

/** Why a schema a user wants to store cannot be used, or null when it compiles. */
export function schemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'must be a JSON Schema object';
  try {
    ajv.compile(schema);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function toProblem(error: ErrorObject): ValidationProblem {
  return { path: error.instancePath || '/', message: error.message ?? error.keyword };
}

/**
 * Validates a payload against the schema registered for its event type. Null when there is nothing to check or it
 * passes; otherwise the problems (at most 20), which quarantine the event.
 */
export function validatePayload(
  source: { id: string; version: number; schemas: Record<string, unknown> | null },
  eventType: string | null,
  payload: unknown,
): ValidationProblem[] | null {
  if (!source.schemas || eventType === null) return null;
  const schema = source.schemas[eventType];
  if (schema === undefined) return null;
  if (payload === undefined) return [{ path: '/', message: 'the body is not JSON, so it cannot match the event type schema' }];
  let validate: ValidateFunction;
  try {
    validate = compile(`${source.id}:${source.version}:${eventType}`, schema);
  } catch (error) {
    return [{ path: '/', message: `the event type schema does not compile: ${(error as Error).message}` }];
  }
  if (validate(payload)) return null;
  return (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(toProblem);
}

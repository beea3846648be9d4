import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { ValidationFailed, type ValidationIssue } from './errors.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    // Unknown fields are reported, never silently dropped, so a typo in a field name is a 422, not a surprise.
    removeAdditional: false,
    allErrors: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

// Bodies are typed JSON and must match exactly; query strings and paths are text that needs coercion.
const bodyAjv = makeAjv(false);
const textAjv = makeAjv('array');

const locations: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function issueOf(part: string, error: ErrorObject): ValidationIssue {
  const loc = [part, ...error.instancePath.split('/').filter((segment) => segment !== '')];
  switch (error.keyword) {
    case 'required':
      return { loc: [...loc, String(error.params.missingProperty)], msg: 'field required', type: 'value_error.missing' };
    case 'additionalProperties':
      return { loc: [...loc, String(error.params.additionalProperty)], msg: 'extra fields not permitted', type: 'value_error.extra' };
    case 'type':
      return { loc, msg: error.message ?? 'wrong type', type: `type_error.${String(error.params.type).split(',')[0]}` };
    default:
      return { loc, msg: error.message ?? 'invalid value', type: `value_error.${error.keyword}` };
  }
}

export function toValidationFailed(part: string, errors: ErrorObject[]): ValidationFailed {
  const location = locations[part] ?? part;
  // ajv reports each failed branch of a union; `anyOf` itself adds nothing a caller can act on.
  const useful = errors.filter((error) => error.keyword !== 'anyOf' && error.keyword !== 'if');
  return new ValidationFailed((useful.length > 0 ? useful : errors).map((error) => issueOf(location, error)));
}

const cache = new WeakMap<object, ValidateFunction>();

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  const key = schema as object;
  let validate = httpPart === 'body' ? cache.get(key) : undefined;
  if (!validate) {
    validate = ajv.compile(schema as object);
    if (httpPart === 'body') cache.set(key, validate);
  }
  const compiled = validate;
  return (data: unknown) => {
    if (compiled(data)) return { value: data };
    return { error: toValidationFailed(httpPart ?? 'body', compiled.errors ?? []) };
  };
};

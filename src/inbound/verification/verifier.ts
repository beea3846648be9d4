import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { FailureCode, HandshakeReply, InboundRequest, Verification, VerificationFailure } from './types.js';

/** One source type as the registry sees it: its config shape, which fields are secret, and the check itself. */
export interface Verifier {
  readonly type: string;
  readonly configSchema: TSchema;
  /** Config fields the store must encrypt and the API must never echo. */
  readonly secretFields: readonly string[];
  /** `config` is whatever the store holds; it is checked against `configSchema` before the scheme runs. */
  verify(config: unknown, request: InboundRequest, nowMs: number): Verification;
}

/** The field names of a config, across every member when the schema is a union. */
type ConfigField<T> = T extends unknown ? keyof T & string : never;

interface VerifierDefinition<S extends TSchema> {
  type: string;
  configSchema: S;
  secretFields: readonly ConfigField<Static<S>>[];
  verify(config: Static<S>, request: InboundRequest, nowMs: number): Verification;
}

/**
 * Types a provider's verifier against its own config schema, and re-checks a stored config before use: a config
 * written by an older version, or edited by hand, must fail one request rather than crash the receive route.
 */
export function defineVerifier<S extends TSchema>(definition: VerifierDefinition<S>): Verifier {
  const validator = Compile(definition.configSchema);
  return {
    type: definition.type,
    configSchema: definition.configSchema,
    secretFields: definition.secretFields,
    verify(config, request, nowMs) {
      if (!validator.Check(config)) {
        return fail('config_invalid', `the source's config does not match the ${definition.type} config schema`);
      }
      return definition.verify(config as Static<S>, request, nowMs);
    },
  };
}

export function fail(code: FailureCode, detail: string): VerificationFailure {
  return { ok: false, reason: `${code}: ${detail}` };
}

// Node caps all headers of a request at 16 KiB; a single signature header anywhere near that is not a provider's.
const MAX_HEADER_LENGTH = 8192;

/**
 * A header the scheme cannot do without, by its conventional spelling (used in the reason); the value or a failure.
 * Header names in `request.headers` are lower-case.
 */
export function requiredHeader(request: InboundRequest, name: string): string | VerificationFailure {
  const value = request.headers[name.toLowerCase()]?.trim();
  if (value === undefined || value === '') return fail('missing_header', `${name} header is missing`);
  if (value.length > MAX_HEADER_LENGTH) return fail('malformed_header', `${name} header is too long`);
  return value;
}

export function optionalHeader(request: InboundRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function jsonReply(value: unknown): HandshakeReply {
  return { status: 200, contentType: 'application/json', body: JSON.stringify(value) };
}

export function secretSchema(description: string) {
  return Type.String({ minLength: 1, maxLength: 4096, description });
}

/** Every timestamped scheme takes `toleranceSeconds`; `fallback` is the provider's documented window, if any. */
export function toleranceSchema(fallback: number | null) {
  const defaultText = fallback === null ? 'Unset: the timestamp is not checked.' : `Default ${fallback}.`;
  return Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 86_400,
      description: `How far, in seconds, the signed timestamp may be from Hookyard's clock, in the past or the future. ${defaultText}`,
      ...(fallback === null ? {} : { default: fallback }),
    }),
  );
}

/** The config of a scheme keyed by one shared secret. */
export function secretConfig(title: string, secretDescription: string) {
  return Type.Object({ secret: secretSchema(secretDescription) }, { additionalProperties: false, title });
}

/** The config of a scheme keyed by one shared secret that also signs a timestamp. */
export function timestampedSecretConfig(title: string, secretDescription: string, defaultToleranceSeconds: number | null) {
  return Type.Object(
    { secret: secretSchema(secretDescription), toleranceSeconds: toleranceSchema(defaultToleranceSeconds) },
    { additionalProperties: false, title },
  );
}

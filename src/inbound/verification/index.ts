/**
 * The inbound verification library: one verifier per source type, looked up by the type name a source was created
 * with. The receive route calls `verifyInbound`; the source API validates `config` with `configSchemaFor` and keeps
 * `secretFields` encrypted and out of its responses.
 */
import type { TSchema } from 'typebox';
import { apiKey } from './api-key.js';
import { basicAuth } from './basic-auth.js';
import { discord } from './discord.js';
import { genericHmac } from './generic-hmac.js';
import { genericWebhook } from './generic-webhook.js';
import { github } from './github.js';
import { hubspot } from './hubspot.js';
import { intercom } from './intercom.js';
import { linear } from './linear.js';
import { mailgun } from './mailgun.js';
import { paddle } from './paddle.js';
import { sendgrid } from './sendgrid.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { square } from './square.js';
import { standardWebhooks } from './standard-webhooks.js';
import { stripe } from './stripe.js';
import { svix } from './svix.js';
import { twilio } from './twilio.js';
import type { InboundRequest, Verification } from './types.js';
import type { Verifier } from './verifier.js';
import { fail } from './verifier.js';
import { zoom } from './zoom.js';

export type { FailureCode, HandshakeReply, InboundRequest, Verification } from './types.js';

const verifiers: readonly Verifier[] = [
  stripe,
  github,
  shopify,
  slack,
  twilio,
  svix,
  standardWebhooks,
  paddle,
  square,
  linear,
  zoom,
  intercom,
  hubspot,
  discord,
  sendgrid,
  mailgun,
  genericHmac,
  basicAuth,
  apiKey,
  genericWebhook,
];

const byType = new Map(verifiers.map((verifier) => [verifier.type, verifier]));

/** Every source type Hookyard can verify, in the order the documentation lists them. */
export const verifierTypes: readonly string[] = verifiers.map((verifier) => verifier.type);

export function isVerifierType(type: string): boolean {
  return byType.has(type);
}

/**
 * Verifies one request for a source of `type` with its stored `config` (secrets decrypted), at `nowMs` on Hookyard's
 * clock. Never throws for anything in the request or the config; a failure's reason never contains a secret or the
 * expected signature, so it may be logged and stored with the attempt.
 */
export function verifyInbound(type: string, config: unknown, request: InboundRequest, nowMs: number): Verification {
  const verifier = byType.get(type);
  if (verifier === undefined) return fail('unknown_type', `no verifier for source type ${JSON.stringify(type.slice(0, 64))}`);
  return verifier.verify(config, request, nowMs);
}

/** The TypeBox schema of a type's `config`, for request validation and the OpenAPI document; undefined if unknown. */
export function configSchemaFor(type: string): TSchema | undefined {
  return byType.get(type)?.configSchema;
}

/** Every type's config schema by type name. */
export const configSchemas: Readonly<Record<string, TSchema>> = Object.fromEntries(
  verifiers.map((verifier) => [verifier.type, verifier.configSchema]),
);

/** The config fields of `type` that are secrets: encrypt at rest, never echo. Empty for an unknown type. */
export function secretFields(type: string): readonly string[] {
  return byType.get(type)?.secretFields ?? [];
}

import assert from 'node:assert/strict';
import { verifyInbound, type InboundRequest, type Verification } from '../../../src/inbound/verification/index.js';

export const INGEST_URL = 'https://hooks.example.com/in/src_tok_2f9a';

export function inbound(input: {
  headers: Record<string, string | undefined>;
  body: string | Buffer;
  url?: string;
  method?: string;
}): InboundRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(input.headers)) headers[name.toLowerCase()] = value;
  return {
    method: input.method ?? 'POST',
    url: input.url ?? INGEST_URL,
    headers,
    body: typeof input.body === 'string' ? Buffer.from(input.body) : input.body,
  };
}

export function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name.toLowerCase()));
}

export function assertVerified(
  result: Verification,
  expected: { eventId: string | null; eventType: string | null },
): asserts result is Extract<Verification, { ok: true }> {
  assert.equal(result.ok, true, result.ok ? '' : result.reason);
  if (!result.ok) return;
  assert.equal(result.eventId, expected.eventId);
  assert.equal(result.eventType, expected.eventType);
}

/**
 * A failure with the given code. Every reason is also checked for the secrets and signatures the test knows about:
 * none may leak into a reason that ends up in logs.
 */
export function assertRejected(result: Verification, code: string, mustNotContain: readonly string[] = []): void {
  assert.equal(result.ok, false, 'expected the request to be rejected');
  if (result.ok) return;
  assert.ok(result.reason.startsWith(`${code}: `), `expected ${code}, got "${result.reason}"`);
  for (const secret of mustNotContain) assert.ok(!result.reason.includes(secret), `reason leaks "${secret}"`);
}

export function verify(type: string, config: unknown, request: InboundRequest, nowMs: number): Verification {
  return verifyInbound(type, config, request, nowMs);
}

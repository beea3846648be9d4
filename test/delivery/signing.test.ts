import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  generateEndpointSecret,
  normaliseEndpointSecret,
  signatureFor,
  signatureHeaderValue,
  webhookHeaders,
} from '../../src/delivery/signing.js';

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const OLD_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const NEW_SECRET = 'whsec_9uY5ZAyTqq1qZ8ZTxVDdFbSrqfvbWB6U';
const BODY = JSON.stringify({ type: 'invoice.paid', timestamp: '2024-05-01T10:00:00Z', data: { id: 'inv_1', total: 4200 } });

const now = () => Math.floor(Date.now() / 1000);

/** The verifiers read only their own header names, so each is handed just those. */
function pick(headers: Record<string, string>, prefix: 'webhook-' | 'svix-'): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith(prefix)));
}

function verifiesWithStandardWebhooks(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new StandardWebhook(secret).verify(body, pick(headers, 'webhook-'));
    return true;
  } catch {
    return false;
  }
}

function verifiesWithSvix(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new SvixWebhook(secret).verify(body, pick(headers, 'svix-'));
    return true;
  } catch {
    return false;
  }
}

describe('Standard Webhooks signing', () => {
  it('reproduces the published test vector', () => {
    assert.equal(signatureFor(VECTOR.secret, VECTOR.msgId, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
  });

  it('signs the same with or without the whsec_ prefix', () => {
    const bare = VECTOR.secret.slice('whsec_'.length);
    assert.equal(signatureFor(bare, VECTOR.msgId, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
  });

  it('agrees with the standardwebhooks reference library on the signature itself', () => {
    const ts = now();
    const expected = new StandardWebhook(NEW_SECRET).sign('msg_abc', new Date(ts * 1000), BODY);
    assert.equal(signatureFor(NEW_SECRET, 'msg_abc', ts, BODY), expected);
  });

  it('builds headers that standardwebhooks and svix both verify', () => {
    const ts = now();
    const headers = webhookHeaders({ msgId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestampSeconds: ts, body: BODY, secrets: [NEW_SECRET], includeSvixHeaders: true });
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['webhook-id'], 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    assert.equal(headers['webhook-timestamp'], String(ts));
    assert.equal(headers['svix-id'], headers['webhook-id']);
    assert.equal(headers['svix-timestamp'], headers['webhook-timestamp']);
    assert.equal(headers['svix-signature'], headers['webhook-signature']);

    assert.deepEqual(new StandardWebhook(NEW_SECRET).verify(BODY, pick(headers, 'webhook-')), JSON.parse(BODY));
    assert.deepEqual(new SvixWebhook(NEW_SECRET).verify(BODY, pick(headers, 'svix-')), JSON.parse(BODY));
  });

  it('leaves out the svix-* headers when asked to', () => {
    const headers = webhookHeaders({ msgId: 'msg_1', timestampSeconds: now(), body: BODY, secrets: [NEW_SECRET], includeSvixHeaders: false });
    assert.deepEqual(Object.keys(headers).sort(), ['content-type', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.ok(verifiesWithStandardWebhooks(NEW_SECRET, BODY, headers));
  });

  it('during rotation, a header signed with old and new secrets verifies with either alone', () => {
    const headers = webhookHeaders({ msgId: 'msg_rot', timestampSeconds: now(), body: BODY, secrets: [NEW_SECRET, OLD_SECRET], includeSvixHeaders: true });
    const signatures = headers['webhook-signature']!.split(' ');
    assert.equal(signatures.length, 2);
    assert.equal(signatures[0], signatureFor(NEW_SECRET, 'msg_rot', Number(headers['webhook-timestamp']), BODY), 'current secret signs first');
    for (const secret of [NEW_SECRET, OLD_SECRET]) {
      assert.ok(verifiesWithStandardWebhooks(secret, BODY, headers), `standardwebhooks with ${secret}`);
      assert.ok(verifiesWithSvix(secret, BODY, headers), `svix with ${secret}`);
    }
    assert.equal(verifiesWithStandardWebhooks(generateEndpointSecret(), BODY, headers), false);
  });

  it('fails verification for a tampered body, a wrong secret, or a changed id', () => {
    const headers = webhookHeaders({ msgId: 'msg_t', timestampSeconds: now(), body: BODY, secrets: [NEW_SECRET], includeSvixHeaders: true });
    const tampered = BODY.replace('4200', '4201');
    assert.equal(verifiesWithStandardWebhooks(NEW_SECRET, tampered, headers), false);
    assert.equal(verifiesWithSvix(NEW_SECRET, tampered, headers), false);
    assert.equal(verifiesWithStandardWebhooks(OLD_SECRET, BODY, headers), false);
    assert.equal(verifiesWithSvix(OLD_SECRET, BODY, headers), false);
    const otherId = { ...headers, 'webhook-id': 'msg_u', 'svix-id': 'msg_u' };
    assert.equal(verifiesWithStandardWebhooks(NEW_SECRET, BODY, otherId), false);
    assert.equal(verifiesWithSvix(NEW_SECRET, BODY, otherId), false);
  });

  it('generates distinct 24-byte whsec_ secrets that the verifiers accept', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => generateEndpointSecret()));
    assert.equal(secrets.size, 20);
    for (const secret of secrets) {
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
      assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
      const headers = webhookHeaders({ msgId: 'msg_gen', timestampSeconds: now(), body: BODY, secrets: [secret], includeSvixHeaders: true });
      assert.ok(verifiesWithStandardWebhooks(secret, BODY, headers));
      assert.ok(verifiesWithSvix(secret, BODY, headers));
    }
  });

  it('normalises secrets to the whsec_ form without double-prefixing', () => {
    assert.equal(normaliseEndpointSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), VECTOR.secret);
    assert.equal(normaliseEndpointSecret(VECTOR.secret), VECTOR.secret);
  });

  it('refuses inputs that would produce unverifiable or forgeable signatures', () => {
    assert.throws(() => signatureHeaderValue([], 'msg_1', now(), BODY), /without a secret/);
    assert.throws(() => signatureFor('whsec_', 'msg_1', now(), BODY), /empty key/);
    assert.throws(() => signatureFor(NEW_SECRET, 'msg.1', now(), BODY), /must not contain "\."/);
    assert.throws(() => signatureFor(NEW_SECRET, 'msg_1', Date.now() / 1000, BODY), /whole seconds/);
  });

  it('keeps signing correctly for many distinct secrets (key cache eviction)', () => {
    const ts = now();
    const secrets = Array.from({ length: 1100 }, () => generateEndpointSecret());
    const first = signatureFor(secrets[0]!, 'msg_c', ts, BODY);
    for (const secret of secrets) signatureFor(secret, 'msg_c', ts, BODY);
    assert.equal(signatureFor(secrets[0]!, 'msg_c', ts, BODY), first);
    assert.equal(first, new StandardWebhook(secrets[0]!).sign('msg_c', new Date(ts * 1000), BODY));
  });
});

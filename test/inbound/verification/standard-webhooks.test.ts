import { describe, it } from 'node:test';
import { generateKeyPairSync, sign as edSign } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { assertRejected, assertVerified, inbound, verify, without } from './support.js';

// From the Standard Webhooks specification's reference library tests.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const VECTOR_NOW = VECTOR.timestamp * 1000 + 10_000;

const SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const OTHER_SECRET = 'whsec_9uY5ZAyTqq1qZ8ZTxVDdFbSrqfvbWB6U';
const NOW_S = 1_718_000_000;
const NOW = NOW_S * 1000;
const BODY = JSON.stringify({ type: 'user.created', data: { id: 'usr_1' } });
const MSG_ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';

function headers(prefix: 'webhook' | 'svix', signature: string, timestamp = NOW_S, id = MSG_ID): Record<string, string> {
  return { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: String(timestamp), [`${prefix}-signature`]: signature };
}

function standardSign(secret: string, timestamp: number, body = BODY, id = MSG_ID): string {
  return new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body);
}

function svixSign(secret: string, timestamp: number, body = BODY, id = MSG_ID): string {
  return new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), body);
}

for (const type of ['standard-webhooks', 'svix'] as const) {
  describe(type, () => {
    const config = { secret: SECRET };

    it('reproduces the specification test vector', () => {
      const request = inbound({ headers: headers('webhook', VECTOR.signature, VECTOR.timestamp, VECTOR.id), body: VECTOR.body });
      assertVerified(verify(type, { secret: VECTOR.secret }, request, VECTOR_NOW), { eventId: VECTOR.id, eventType: null });
    });

    it('accepts what the standardwebhooks and svix libraries sign, under either family of header names', () => {
      for (const prefix of ['webhook', 'svix'] as const) {
        for (const signature of [standardSign(SECRET, NOW_S), svixSign(SECRET, NOW_S)]) {
          const result = verify(type, config, inbound({ headers: headers(prefix, signature), body: BODY }), NOW);
          assertVerified(result, { eventId: MSG_ID, eventType: 'user.created' });
        }
      }
    });

    it('accepts the secret without its whsec_ prefix', () => {
      const request = inbound({ headers: headers('webhook', standardSign(SECRET, NOW_S)), body: BODY });
      assertVerified(verify(type, { secret: SECRET.slice('whsec_'.length) }, request, NOW), { eventId: MSG_ID, eventType: 'user.created' });
    });

    it('accepts any of several space-separated signatures (rotation)', () => {
      const signature = `${standardSign(OTHER_SECRET, NOW_S)} ${standardSign(SECRET, NOW_S)}`;
      const request = inbound({ headers: headers('webhook', signature), body: BODY });
      assertVerified(verify(type, config, request, NOW), { eventId: MSG_ID, eventType: 'user.created' });
    });

    it('rejects a tampered body, a wrong secret, a changed id and missing headers', () => {
      const signature = standardSign(SECRET, NOW_S);
      const tampered = inbound({ headers: headers('webhook', signature), body: BODY.replace('usr_1', 'usr_2') });
      assertRejected(verify(type, config, tampered, NOW), 'signature_mismatch', [SECRET, signature.slice(3)]);
      const wrong = inbound({ headers: headers('webhook', standardSign(OTHER_SECRET, NOW_S)), body: BODY });
      assertRejected(verify(type, config, wrong, NOW), 'signature_mismatch');
      const otherId = inbound({ headers: headers('webhook', signature, NOW_S, 'msg_other'), body: BODY });
      assertRejected(verify(type, config, otherId, NOW), 'signature_mismatch');
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        const missing = inbound({ headers: without(headers('webhook', signature), name), body: BODY });
        assertRejected(verify(type, config, missing, NOW), 'missing_header');
      }
    });

    it('rejects timestamps more than five minutes old or ahead', () => {
      const at = (timestamp: number) => inbound({ headers: headers('webhook', standardSign(SECRET, timestamp), timestamp), body: BODY });
      assertVerified(verify(type, config, at(NOW_S - 300), NOW), { eventId: MSG_ID, eventType: 'user.created' });
      assertRejected(verify(type, config, at(NOW_S - 301), NOW), 'timestamp_stale');
      assertRejected(verify(type, config, at(NOW_S + 301), NOW), 'timestamp_future');
      assertVerified(verify(type, { ...config, toleranceSeconds: 3600 }, at(NOW_S - 3000), NOW), { eventId: MSG_ID, eventType: 'user.created' });
    });

    it('verifies v1a Ed25519 signatures against a whpk_ public key', () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
      const whpk = `whpk_${raw.toString('base64')}`;
      const signed = Buffer.from(`${MSG_ID}.${NOW_S}.${BODY}`);
      const v1a = `v1a,${edSign(null, signed, privateKey).toString('base64')}`;
      const request = inbound({ headers: headers('webhook', v1a), body: BODY });
      assertVerified(verify(type, { publicKey: whpk }, request, NOW), { eventId: MSG_ID, eventType: 'user.created' });
      assertVerified(verify(type, { secret: SECRET, publicKey: whpk }, request, NOW), { eventId: MSG_ID, eventType: 'user.created' });
      // Without a public key an asymmetric signature proves nothing.
      assertRejected(verify(type, config, request, NOW), 'signature_mismatch');
      const tampered = inbound({ headers: headers('webhook', v1a), body: `${BODY} ` });
      assertRejected(verify(type, { publicKey: whpk }, tampered, NOW), 'signature_mismatch');
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
      assertRejected(verify(type, { publicKey: `whpk_${Buffer.from(other, 'base64url').toString('base64')}` }, request, NOW), 'signature_mismatch');
    });

    it('refuses a config with neither a secret nor a public key', () => {
      const request = inbound({ headers: headers('webhook', standardSign(SECRET, NOW_S)), body: BODY });
      assertRejected(verify(type, {}, request, NOW), 'config_invalid');
    });
  });
}


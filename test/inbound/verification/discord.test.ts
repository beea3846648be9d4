import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyKey } from 'discord-interactions';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Discord signs with its application's private key; the test plays Discord with a key pair of its own.
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PUBLIC_KEY_HEX = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const NOW_S = 1_718_000_000;
const NOW = NOW_S * 1000;

function discordSignature(timestamp: string, body: string): string {
  return sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
}

function post(body: string, timestamp = String(NOW_S), signature: string | null = discordSignature(timestamp, body)) {
  return inbound({ headers: { 'X-Signature-Ed25519': signature ?? undefined, 'X-Signature-Timestamp': timestamp }, body });
}

const config = { publicKey: PUBLIC_KEY_HEX };
const INTERACTION = JSON.stringify({ id: '1247598013210972181', application_id: '1175', type: 2, token: 'aW50ZXJhY3Rpb24', data: { name: 'ping' }, version: 1 });

describe('discord', () => {
  it('accepts a signed interaction, named by its id, and agrees with discord-interactions', async () => {
    const request = post(INTERACTION);
    assertVerified(verify('discord', config, request, NOW), { eventId: '1247598013210972181', eventType: null });
    assert.equal(await verifyKey(request.body, request.headers['x-signature-ed25519']!, String(NOW_S), PUBLIC_KEY_HEX), true);
  });

  it('answers an interactions PING with {"type":1}', () => {
    const body = JSON.stringify({ id: '1247598013210972182', application_id: '1175', type: 1, token: 'cGluZw', version: 1 });
    const result = verify('discord', config, post(body), NOW);
    assertVerified(result, { eventId: '1247598013210972182', eventType: null });
    assert.deepEqual(result.reply, { status: 200, contentType: 'application/json', body: '{"type":1}' });
  });

  it('answers a webhook events PING with an empty 204, and names webhook events by their type', () => {
    const ping = verify('discord', config, post(JSON.stringify({ version: 1, application_id: '1175', type: 0 })), NOW);
    assertVerified(ping, { eventId: null, eventType: null });
    assert.equal(ping.reply?.status, 204);
    assert.equal(ping.reply?.body, '');
    const event = JSON.stringify({ version: 1, application_id: '1175', type: 1, event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2024-10-18T14:42:53.064834', data: {} } });
    const result = verify('discord', config, post(event), NOW);
    assertVerified(result, { eventId: null, eventType: 'APPLICATION_AUTHORIZED' });
    assert.equal(result.reply, undefined);
  });

  it('does not answer a PING whose signature fails (Discord probes with bad signatures and expects 401)', () => {
    const body = JSON.stringify({ id: '1', application_id: '1175', type: 1, token: 'cGluZw', version: 1 });
    const forged = post(body, String(NOW_S), discordSignature(String(NOW_S), body.replace('"1"', '"2"')));
    assertRejected(verify('discord', config, forged, NOW), 'signature_mismatch');
  });

  it('rejects a tampered body, another key, a changed timestamp, garbage and missing headers', async () => {
    const signature = discordSignature(String(NOW_S), INTERACTION);
    const tampered = post(INTERACTION.replace('ping', 'pong'), String(NOW_S), signature);
    assertRejected(verify('discord', config, tampered, NOW), 'signature_mismatch');
    assert.equal(await verifyKey(tampered.body, signature, String(NOW_S), PUBLIC_KEY_HEX), false);
    const other = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    assertRejected(verify('discord', { publicKey: other }, post(INTERACTION), NOW), 'signature_mismatch');
    assertRejected(verify('discord', config, post(INTERACTION, String(NOW_S + 1), signature), NOW), 'signature_mismatch');
    assertRejected(verify('discord', config, post(INTERACTION, String(NOW_S), 'zz'.repeat(64)), NOW), 'malformed_header');
    assertRejected(verify('discord', config, post(INTERACTION, String(NOW_S), null), NOW), 'missing_header');
  });

  it('checks the timestamp only when a tolerance is configured', () => {
    const old = post(INTERACTION, String(NOW_S - 3600));
    assertVerified(verify('discord', config, old, NOW), { eventId: '1247598013210972181', eventType: null });
    assertRejected(verify('discord', { ...config, toleranceSeconds: 300 }, old, NOW), 'timestamp_stale');
    assertRejected(verify('discord', { ...config, toleranceSeconds: 300 }, post(INTERACTION, String(NOW_S + 3600)), NOW), 'timestamp_future');
  });
});

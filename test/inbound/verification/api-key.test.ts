import { describe, it } from 'node:test';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

const NOW = 1_718_000_000_000;
const BODY = '{"ok":true}';
const UNNAMED = { eventId: null, eventType: null };

describe('api-key', () => {
  it('compares the whole value of the default or configured header', () => {
    const key = 'hk_live_6c1f0b8e2d7a4935';
    assertVerified(verify('api-key', { key }, inbound({ headers: { 'X-Api-Key': key }, body: BODY }), NOW), UNNAMED);
    const bearer = { header: 'Authorization', key: `Bearer ${key}` };
    assertVerified(verify('api-key', bearer, inbound({ headers: { Authorization: `Bearer ${key}` }, body: BODY }), NOW), UNNAMED);
    assertRejected(verify('api-key', bearer, inbound({ headers: { Authorization: key }, body: BODY }), NOW), 'credentials_mismatch', [key]);
    assertRejected(verify('api-key', { key }, inbound({ headers: { 'X-Api-Key': `${key}x` }, body: BODY }), NOW), 'credentials_mismatch', [key]);
    assertRejected(verify('api-key', { key }, inbound({ headers: { 'X-Api-Key': key.slice(0, -1) }, body: BODY }), NOW), 'credentials_mismatch');
    assertRejected(verify('api-key', { key }, inbound({ headers: {}, body: BODY }), NOW), 'missing_header');
  });
});

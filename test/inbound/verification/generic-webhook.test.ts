import { describe, it } from 'node:test';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

const NOW = 1_718_000_000_000;
const BODY = '{"ok":true}';
const UNNAMED = { eventId: null, eventType: null };

describe('generic-webhook', () => {
  it('accepts anything, naming nothing', () => {
    assertVerified(verify('generic-webhook', {}, inbound({ headers: {}, body: Buffer.from([0xff, 0x00]) }), NOW), UNNAMED);
    assertRejected(verify('generic-webhook', { secret: 'x' }, inbound({ headers: {}, body: BODY }), NOW), 'config_invalid');
  });
});

import { describe, it } from 'node:test';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

const NOW = 1_718_000_000_000;
const BODY = '{"ok":true}';
const UNNAMED = { eventId: null, eventType: null };

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('basic-auth', () => {
  const config = { username: 'acme', password: 'c0rrect horse: battery' };

  it('accepts the configured credentials, whatever the case of the scheme word', () => {
    assertVerified(verify('basic-auth', config, inbound({ headers: { Authorization: basic('acme', config.password) }, body: BODY }), NOW), UNNAMED);
    const lower = basic('acme', config.password).replace('Basic', 'basic');
    assertVerified(verify('basic-auth', config, inbound({ headers: { Authorization: lower }, body: BODY }), NOW), UNNAMED);
  });

  it('rejects a wrong user or password, other schemes, garbage and a missing header', () => {
    const post = (authorization?: string) => inbound({ headers: { Authorization: authorization }, body: BODY });
    assertRejected(verify('basic-auth', config, post(basic('acme', 'wrong')), NOW), 'credentials_mismatch', [config.password]);
    assertRejected(verify('basic-auth', config, post(basic('other', config.password)), NOW), 'credentials_mismatch', [config.password]);
    assertRejected(verify('basic-auth', config, post(`Bearer ${config.password}`), NOW), 'malformed_header', [config.password]);
    assertRejected(verify('basic-auth', config, post(`Basic ${Buffer.from('no-colon').toString('base64')}`), NOW), 'malformed_header');
    assertRejected(verify('basic-auth', config, post('Basic !!!'), NOW), 'malformed_header');
    assertRejected(verify('basic-auth', config, post(), NOW), 'missing_header');
  });
});

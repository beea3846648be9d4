import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify } from './support.js';

// Each case plays a sender with node:crypto, written from the config's documented meaning.
const SECRET = 'generic-shared-secret-1f2e3d';
const NOW_S = 1_718_000_000;
const NOW = NOW_S * 1000;
const BODY = JSON.stringify({ kind: 'build.finished', id: 77 });
const UNNAMED = { eventId: null, eventType: null };

const mac = (algorithm: string, key: string | Buffer, content: string, encoding: 'hex' | 'base64' = 'hex') =>
  createHmac(algorithm, key).update(content).digest(encoding);

describe('hmac (generic)', () => {
  it('defaults to hex HMAC-SHA256 of the body', () => {
    const request = inbound({ headers: { 'X-Signature': mac('sha256', SECRET, BODY) }, body: BODY });
    assertVerified(verify('hmac', { secret: SECRET, header: 'X-Signature' }, request, NOW), UNNAMED);
    assertRejected(verify('hmac', { secret: SECRET, header: 'X-Signature' }, { ...request, body: Buffer.from(`${BODY}\n`) }, NOW), 'signature_mismatch', [SECRET]);
    assertRejected(verify('hmac', { secret: 'other', header: 'X-Signature' }, request, NOW), 'signature_mismatch');
    assertRejected(verify('hmac', { secret: SECRET, header: 'X-Other' }, request, NOW), 'missing_header');
  });

  it('supports sha1 and sha512, base64, a prefix and a base64 secret', () => {
    const cases = [
      { config: { algorithm: 'sha1' as const }, value: mac('sha1', SECRET, BODY) },
      { config: { algorithm: 'sha512' as const, encoding: 'base64' as const }, value: mac('sha512', SECRET, BODY, 'base64') },
      { config: { prefix: 'sha256=' }, value: `sha256=${mac('sha256', SECRET, BODY)}` },
    ];
    for (const { config, value } of cases) {
      const request = inbound({ headers: { 'X-Signature': value }, body: BODY });
      assertVerified(verify('hmac', { secret: SECRET, header: 'X-Signature', ...config }, request, NOW), UNNAMED);
    }
    const keyBytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const request = inbound({ headers: { 'X-Signature': mac('sha256', keyBytes, BODY) }, body: BODY });
    assertVerified(verify('hmac', { secret: keyBytes.toString('base64'), secretEncoding: 'base64', header: 'X-Signature' }, request, NOW), UNNAMED);
    assertVerified(verify('hmac', { secret: keyBytes.toString('hex'), secretEncoding: 'hex', header: 'X-Signature' }, request, NOW), UNNAMED);
  });

  it('signs "{timestamp}.{body}" with a timestamp header and bounds it to the tolerance', () => {
    const config = { secret: SECRET, header: 'X-Signature', timestampHeader: 'X-Timestamp' };
    const at = (ts: number) => inbound({ headers: { 'X-Signature': mac('sha256', SECRET, `${ts}.${BODY}`), 'X-Timestamp': String(ts) }, body: BODY });
    assertVerified(verify('hmac', config, at(NOW_S - 10), NOW), UNNAMED);
    assertRejected(verify('hmac', config, at(NOW_S - 301), NOW), 'timestamp_stale');
    assertRejected(verify('hmac', config, at(NOW_S + 301), NOW), 'timestamp_future');
    assertVerified(verify('hmac', { ...config, toleranceSeconds: 30 }, at(NOW_S - 29), NOW), UNNAMED);
    assertRejected(verify('hmac', { ...config, toleranceSeconds: 30 }, at(NOW_S - 31), NOW), 'timestamp_stale');
    const missing = inbound({ headers: { 'X-Signature': mac('sha256', SECRET, `${NOW_S}.${BODY}`) }, body: BODY });
    assertRejected(verify('hmac', config, missing, NOW), 'missing_header');
  });

  it('follows a custom template with method, url and millisecond timestamps', () => {
    const config = {
      secret: SECRET,
      header: 'X-Sig',
      encoding: 'base64' as const,
      timestampHeader: 'X-Sent-At',
      timestampUnit: 'milliseconds' as const,
      signedContent: '{method}\n{url}\n{timestamp}\n{body}',
    };
    const url = 'https://hooks.example.com/in/src_tok_2f9a?x=1';
    const ts = NOW - 1500;
    const request = inbound({ url, headers: { 'X-Sig': mac('sha256', SECRET, `POST\n${url}\n${ts}\n${BODY}`, 'base64'), 'X-Sent-At': String(ts) }, body: BODY });
    assertVerified(verify('hmac', config, request, NOW), UNNAMED);
    assertRejected(verify('hmac', config, { ...request, url: `${url}&y=2` }, NOW), 'signature_mismatch');
  });

  it('signs the body as raw bytes, even when they are not UTF-8', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const signature = createHmac('sha256', SECRET).update(body).digest('hex');
    assertVerified(verify('hmac', { secret: SECRET, header: 'X-Signature' }, inbound({ headers: { 'X-Signature': signature }, body }), NOW), UNNAMED);
  });

  it('refuses configs that cannot work', () => {
    const request = inbound({ headers: { 'X-Signature': mac('sha256', SECRET, BODY) }, body: BODY });
    assertRejected(verify('hmac', { secret: SECRET, header: 'X-Signature', signedContent: '{timestamp}.{body}' }, request, NOW), 'config_invalid');
    assertRejected(verify('hmac', { secret: SECRET, header: 'X-Signature', signedContent: '{timestamp} only' }, request, NOW), 'config_invalid');
    assertRejected(verify('hmac', { secret: SECRET, header: 'X-Signature', algorithm: 'md5' }, request, NOW), 'config_invalid');
    assertRejected(verify('hmac', { secret: '', header: 'X-Signature' }, request, NOW), 'config_invalid');
  });
});

import { describe, it } from 'node:test';
import { sign } from '@octokit/webhooks-methods';
import { createHmac } from 'node:crypto';
import { assertRejected, assertVerified, inbound, verify, without } from './support.js';

// Published in GitHub's "Validating webhook deliveries" guide.
const VECTOR = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};
const SECRET = 'gh-webhook-secret-7f3e1c';
const BODY = JSON.stringify({ action: 'opened', number: 42, pull_request: { id: 1 } });
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const NOW = 1_718_000_000_000;

function delivery(headers: Record<string, string>, body = BODY) {
  return inbound({ headers: { 'X-GitHub-Delivery': DELIVERY, 'X-GitHub-Event': 'pull_request', ...headers }, body });
}

describe('github', () => {
  it("reproduces GitHub's published test vector", () => {
    const request = delivery({ 'X-Hub-Signature-256': VECTOR.signature }, VECTOR.body);
    assertVerified(verify('github', { secret: VECTOR.secret }, request, NOW), { eventId: DELIVERY, eventType: 'pull_request' });
  });

  it('accepts what @octokit/webhooks-methods signs, naming the event by X-GitHub-Delivery and X-GitHub-Event', async () => {
    const request = delivery({ 'X-Hub-Signature-256': await sign(SECRET, BODY) });
    assertVerified(verify('github', { secret: SECRET }, request, NOW), { eventId: DELIVERY, eventType: 'pull_request' });
  });

  it('rejects a tampered body, a wrong secret, a missing or malformed header', async () => {
    const signature = await sign(SECRET, BODY);
    assertRejected(verify('github', { secret: SECRET }, delivery({ 'X-Hub-Signature-256': signature }, `${BODY} `), NOW), 'signature_mismatch', [SECRET]);
    assertRejected(verify('github', { secret: SECRET }, delivery({ 'X-Hub-Signature-256': await sign('other', BODY) }), NOW), 'signature_mismatch');
    assertRejected(verify('github', { secret: SECRET }, delivery(without({ 'X-Hub-Signature-256': signature }, 'X-Hub-Signature-256')), NOW), 'missing_header');
    assertRejected(verify('github', { secret: SECRET }, delivery({ 'X-Hub-Signature-256': signature.slice('sha256='.length) }), NOW), 'malformed_header');
    assertRejected(verify('github', { secret: SECRET }, delivery({ 'X-Hub-Signature-256': `${signature}00` }), NOW), 'signature_mismatch');
  });

  it('accepts legacy SHA-1 only when allowed and the SHA-256 header is absent', async () => {
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`;
    const legacyOnly = delivery({ 'X-Hub-Signature': sha1 });
    assertRejected(verify('github', { secret: SECRET }, legacyOnly, NOW), 'missing_header');
    assertVerified(verify('github', { secret: SECRET, allowSha1: true }, legacyOnly, NOW), { eventId: DELIVERY, eventType: 'pull_request' });
    // A wrong SHA-256 signature is not rescued by a right SHA-1 one: the weaker algorithm is never chosen by the sender.
    const both = delivery({ 'X-Hub-Signature': sha1, 'X-Hub-Signature-256': await sign('other', BODY) });
    assertRejected(verify('github', { secret: SECRET, allowSha1: true }, both, NOW), 'signature_mismatch');
  });

  it('gives a null event id when GitHub did not send one', async () => {
    const request = inbound({ headers: { 'X-Hub-Signature-256': await sign(SECRET, BODY) }, body: BODY });
    assertVerified(verify('github', { secret: SECRET }, request, NOW), { eventId: null, eventType: null });
  });
});

import { Type } from 'typebox';
import { secretEquals } from './hmac.js';
import { defineVerifier, fail, requiredHeader, secretSchema } from './verifier.js';

/**
 * HTTP Basic credentials (RFC 7617) for senders that can only put a user and password in the URL or a header. This
 * proves who sent the request, not that the body is intact: prefer a signing type when the sender offers one.
 */
export const basicAuth = defineVerifier({
  type: 'basic-auth',
  configSchema: Type.Object(
    {
      username: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^:]*$', description: 'RFC 7617 forbids a colon in the user-id.' }),
      password: secretSchema('The password the sender presents.'),
    },
    { additionalProperties: false, title: 'BasicAuthSourceConfig' },
  ),
  secretFields: ['password'],
  verify(config, request) {
    const header = requiredHeader(request, 'Authorization');
    if (typeof header !== 'string') return header;
    const match = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (match?.[1] === undefined) return fail('malformed_header', 'Authorization is not Basic credentials');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return fail('malformed_header', 'Basic credentials have no colon');
    // Both halves are compared, always, so the time taken says nothing about which one was wrong.
    const userMatches = secretEquals(decoded.slice(0, colon), config.username);
    const passwordMatches = secretEquals(decoded.slice(colon + 1), config.password);
    if (!(userMatches && passwordMatches)) return fail('credentials_mismatch', 'the Basic credentials are not the configured ones');
    return { ok: true, eventId: null, eventType: null };
  },
});

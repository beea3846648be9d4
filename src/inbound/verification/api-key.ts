import { Type } from 'typebox';
import { secretEquals } from './hmac.js';
import { defineVerifier, fail, requiredHeader, secretSchema } from './verifier.js';

const DEFAULT_HEADER = 'X-Api-Key';

/**
 * A static key in a header, for senders that only let one add a custom header. Like `basic-auth` it authenticates the
 * sender but does not protect the body. The whole header value is compared, so a scheme word belongs in `key`
 * (e.g. header `Authorization`, key `Bearer s3cr3t`).
 */
export const apiKey = defineVerifier({
  type: 'api-key',
  configSchema: Type.Object(
    {
      header: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 256,
          pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
          default: DEFAULT_HEADER,
          description: 'The header carrying the key.',
        }),
      ),
      key: secretSchema('The exact header value the sender presents.'),
    },
    { additionalProperties: false, title: 'ApiKeySourceConfig' },
  ),
  secretFields: ['key'],
  verify(config, request) {
    const header = config.header ?? DEFAULT_HEADER;
    const presented = requiredHeader(request, header);
    if (typeof presented !== 'string') return presented;
    if (!secretEquals(presented, config.key)) return fail('credentials_mismatch', `${header} is not the configured key`);
    return { ok: true, eventId: null, eventType: null };
  },
});

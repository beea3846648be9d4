import { checkSignatureHeader, hmac } from './hmac.js';
import { field, idText, parseJson, typeText } from './payload.js';
import { defineVerifier, secretConfig } from './verifier.js';

/**
 * `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body keyed with the app's client secret (Intercom kept GitHub's
 * original scheme). No timestamp is signed; the notification id in the body deduplicates retries.
 */
export const intercom = defineVerifier({
  type: 'intercom',
  configSchema: secretConfig('IntercomSourceConfig', "The app's client secret, from the app's basic information in Intercom's Developer Hub."),
  secretFields: ['secret'],
  verify(config, request) {
    const failure = checkSignatureHeader(request, 'X-Hub-Signature', hmac('sha1', config.secret, request.body), 'hex', 'sha1=');
    if (failure) return failure;
    const notification = parseJson(request.body);
    return { ok: true, eventId: idText(field(notification, 'id')), eventType: typeText(field(notification, 'topic')) };
  },
});

import { Type } from 'typebox';
import { defineVerifier } from './verifier.js';

/**
 * No verification at all: anyone who knows the ingest URL can post to it. The URL's token is then the only secret, so
 * use this type only for senders that support nothing else.
 */
export const genericWebhook = defineVerifier({
  type: 'generic-webhook',
  configSchema: Type.Object({}, { additionalProperties: false, title: 'GenericWebhookSourceConfig' }),
  secretFields: [],
  verify() {
    return { ok: true, eventId: null, eventType: null };
  },
});

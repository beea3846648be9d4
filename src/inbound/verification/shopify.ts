import { checkSignatureHeader, hmac } from './hmac.js';
import { idText, typeText } from './payload.js';
import { defineVerifier, optionalHeader, secretConfig } from './verifier.js';

/**
 * `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body, keyed with the app's client secret (or, for webhooks
 * created in a store's admin, the signing secret shown there). Shopify signs no timestamp; `X-Shopify-Triggered-At`
 * is informative only, so replays are stopped by deduplication on the webhook id.
 */
export const shopify = defineVerifier({
  type: 'shopify',
  configSchema: secretConfig('ShopifySourceConfig', "The app's client secret, or the store's webhook signing secret for webhooks created in the admin."),
  secretFields: ['secret'],
  verify(config, request) {
    const failure = checkSignatureHeader(request, 'X-Shopify-Hmac-Sha256', hmac('sha256', config.secret, request.body), 'base64');
    if (failure) return failure;
    return {
      ok: true,
      // X-Shopify-Webhook-Id is per delivery of one event to one subscription; the event id is shared between
      // subscriptions, so it is only the fallback.
      eventId: idText(optionalHeader(request, 'X-Shopify-Webhook-Id') ?? optionalHeader(request, 'X-Shopify-Event-Id')),
      eventType: typeText(optionalHeader(request, 'X-Shopify-Topic')),
    };
  },
});

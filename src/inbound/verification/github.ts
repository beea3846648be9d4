import { Type } from 'typebox';
import { checkSignatureHeader, hmac } from './hmac.js';
import { idText, typeText } from './payload.js';
import { defineVerifier, optionalHeader, secretSchema } from './verifier.js';

/**
 * `X-Hub-Signature-256: sha256=<hex>` over the raw body, keyed with the webhook's secret. GitHub signs no timestamp,
 * so there is no replay window: deduplication on `X-GitHub-Delivery` is the defence against replays.
 *
 * The SHA-1 `X-Hub-Signature` GitHub still sends beside it is accepted only when the config opts in *and* the SHA-256
 * header is absent (GitHub Enterprise Server before 3.0 sent only SHA-1). Falling back when a SHA-256 header is
 * present but wrong would let an attacker pick the weaker algorithm.
 */
export const github = defineVerifier({
  type: 'github',
  configSchema: Type.Object(
    {
      secret: secretSchema("The secret typed into the webhook's settings on GitHub."),
      allowSha1: Type.Optional(
        Type.Boolean({
          default: false,
          description: 'Accept the legacy SHA-1 X-Hub-Signature when X-Hub-Signature-256 is absent (old GitHub Enterprise Server).',
        }),
      ),
    },
    { additionalProperties: false, title: 'GithubSourceConfig' },
  ),
  secretFields: ['secret'],
  verify(config, request) {
    const legacy =
      config.allowSha1 === true &&
      optionalHeader(request, 'X-Hub-Signature-256') === undefined &&
      optionalHeader(request, 'X-Hub-Signature') !== undefined;
    const failure = legacy
      ? checkSignatureHeader(request, 'X-Hub-Signature', hmac('sha1', config.secret, request.body), 'hex', 'sha1=')
      : checkSignatureHeader(request, 'X-Hub-Signature-256', hmac('sha256', config.secret, request.body), 'hex', 'sha256=');
    if (failure) return failure;
    return {
      ok: true,
      eventId: idText(optionalHeader(request, 'X-GitHub-Delivery')),
      eventType: typeText(optionalHeader(request, 'X-GitHub-Event')),
    };
  },
});

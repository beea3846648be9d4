import { standardWebhooksVerifier } from './standard-webhooks.js';

/** Svix signs with Standard Webhooks under `svix-*` header names; the one verifier accepts both families. */
export const svix = standardWebhooksVerifier('svix');

import { hashToken } from '../core/secret-box.js';
import type { ApiToken, Outcome, Store } from '../store/port.js';
import type { Scope } from './scopes.js';
import { generateApiKey } from './tokens.js';

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  /** An application id, already resolved: the key is confined to it. */
  appId: string | null;
  expiresAt: Date | null;
  rateLimit: number | null;
}

/** Makes a key; the key itself is returned here only, and stored as a hash. Used by the API and the CLI. */
export async function createApiKey(store: Pick<Store, 'createApiToken'>, input: NewApiKey): Promise<{ token: ApiToken; key: string }> {
  const { key, prefix } = generateApiKey();
  const token = await store.createApiToken({ kind: 'api_key', ...input, tokenHash: hashToken(key), prefix });
  return { token, key };
}

/** Replaces a key with a new one holding the same rights; the old one keeps working until `overlapUntil`. */
export async function rotateApiKey(store: Pick<Store, 'rotateApiToken'>, id: string, overlapUntil: Date): Promise<Outcome<{ token: ApiToken; key: string }>> {
  const { key, prefix } = generateApiKey();
  const rotated = await store.rotateApiToken(id, { tokenHash: hashToken(key), prefix }, overlapUntil);
  return rotated.ok ? { ok: true, value: { token: rotated.value, key } } : rotated;
}

import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) for secrets that must be read back, such as endpoint signing secrets.
 * Ciphertext format: `v2.<key id>.<iv>.<tag>.<data>` in base64url, the key id naming which main key sealed it.
 * (`v1.<iv>.<tag>.<data>`, without a key id, was written before main keys could be rotated; it still opens.)
 *
 * The box holds the current main key, which seals, and previous ones, which only open: during a main-key rotation
 * every process can read what any other wrote, old key or new, until everything is resealed.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly keys: Map<string, Buffer>;

  constructor(mainKeyBase64: string, previousKeysBase64: readonly string[] = []) {
    const all = [mainKeyBase64, ...previousKeysBase64].map((encoded) => {
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new Error('main key must be 32 bytes');
      return { id: keyIdOf(key), key };
    });
    this.current = all[0]!;
    this.keys = new Map(all.map(({ id, key }) => [id, key]));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v2', this.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** The same sealed values are opened over and over (an endpoint's secret for every claimed delivery). */
  private readonly opened = new Map<string, string>();

  decrypt(sealed: string): string {
    const cached = this.opened.get(sealed);
    if (cached !== undefined) return cached;
    const plaintext = this.unseal(sealed);
    if (this.opened.size >= OPENED_CACHE_LIMIT) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(sealed, plaintext);
    return plaintext;
  }

  private unseal(sealed: string): string {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const key = this.keys.get(parts[1]!);
      if (!key) throw new Error('secret sealed with a main key this process does not have (set HOOKYARD_PREVIOUS_MAIN_KEYS during a rotation)');
      return open(key, parts[2]!, parts[3]!, parts[4]!);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      // No key id: the authentication tag tells which key it was.
      for (const key of this.keys.values()) {
        try {
          return open(key, parts[1]!, parts[2]!, parts[3]!);
        } catch {
          // not this key
        }
      }
      throw new Error('secret sealed with a main key this process does not have');
    }
    throw new Error('unrecognised secret format');
  }

  /** Whether a sealed value was sealed by another key than the current one (or in the old format). */
  needsResealing(sealed: string): boolean {
    const parts = sealed.split('.');
    return !(parts[0] === 'v2' && parts[1] === this.current.id);
  }

  /** Opens with whichever key sealed it and seals again with the current key. */
  reseal(sealed: string): string {
    return this.encrypt(this.decrypt(sealed));
  }
}

const OPENED_CACHE_LIMIT = 1024;

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

function open(key: Buffer, iv: string, tag: string, data: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

/** Tokens are high-entropy, so one SHA-256 is enough to store them; a slow KDF would only cost latency. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    // Compare anyway so that the time taken does not reveal where the lengths differ.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

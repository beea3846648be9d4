import { randomBytes } from 'node:crypto';

/**
 * Prefixed identifiers in the Svix shape (`app_` + 27 base62 characters, a KSUID layout) that sort by creation
 * time: 4 bytes of seconds since the KSUID epoch, 2 bytes of milliseconds, 14 random bytes. Ids minted in the same
 * millisecond by this process increase by one, so listing by id is listing by creation order.
 */
export const idPrefixes = {
  application: 'app',
  endpoint: 'ep',
  message: 'msg',
  attempt: 'atmpt',
  delivery: 'dlv',
  task: 'qtask',
  token: 'tok',
  source: 'src',
  inboundEvent: 'evt',
  apiKey: 'key',
  oauthClient: 'cli',
  audit: 'aud',
  refreshToken: 'rt',
} as const;

export type IdKind = keyof typeof idPrefixes;

const KSUID_EPOCH_SECONDS = 1_400_000_000;
const BYTES = 20;
const ENCODED_LENGTH = 27;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

let lastMillis = -1;
let lastBytes = Buffer.alloc(BYTES);

/**
 * Base62 of the 160-bit big-endian number in `bytes`, by long division over five 32-bit limbs: each step divides
 * the whole number by 62 and yields one digit. (A BigInt does the same but allocates at every step, and ids are
 * minted on every publish.)
 */
function encodeBase62(bytes: Buffer): string {
  const limbs = [bytes.readUInt32BE(0), bytes.readUInt32BE(4), bytes.readUInt32BE(8), bytes.readUInt32BE(12), bytes.readUInt32BE(16)];
  const digits = new Array<string>(ENCODED_LENGTH);
  for (let position = ENCODED_LENGTH - 1; position >= 0; position--) {
    let remainder = 0;
    for (let i = 0; i < limbs.length; i++) {
      // remainder < 62, so remainder * 2^32 + limb < 2^38: exact in a double.
      const value = remainder * 0x1_0000_0000 + limbs[i]!;
      limbs[i] = Math.floor(value / 62);
      remainder = value - limbs[i]! * 62;
    }
    digits[position] = ALPHABET[remainder]!;
  }
  return digits.join('');
}

function incrementInPlace(bytes: Buffer): void {
  for (let i = BYTES - 1; i >= 6; i--) {
    const next = (bytes[i]! + 1) & 0xff;
    bytes[i] = next;
    if (next !== 0) return;
  }
}

function nextRawId(now: number): Buffer {
  if (now <= lastMillis) {
    const bytes = Buffer.from(lastBytes);
    incrementInPlace(bytes);
    lastBytes = bytes;
    return bytes;
  }
  const bytes = Buffer.alloc(BYTES);
  bytes.writeUInt32BE(Math.floor(now / 1000) - KSUID_EPOCH_SECONDS, 0);
  bytes.writeUInt16BE(now % 1000, 4);
  randomBytes(BYTES - 6).copy(bytes, 6);
  // Clearing the top random bit leaves room to increment many times within one millisecond without overflow.
  bytes[6] = bytes[6]! & 0x7f;
  lastMillis = now;
  lastBytes = bytes;
  return bytes;
}

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${idPrefixes[kind]}_${encodeBase62(nextRawId(now))}`;
}

/** The smallest id of a kind that could be minted at `time`: for id-range filters by creation time. */
export function idFloorAt(kind: IdKind, time: number): string {
  const bytes = Buffer.alloc(BYTES);
  bytes.writeUInt32BE(Math.max(0, Math.floor(time / 1000) - KSUID_EPOCH_SECONDS), 0);
  bytes.writeUInt16BE(time % 1000, 4);
  return `${idPrefixes[kind]}_${encodeBase62(bytes)}`;
}

export function hasPrefix(kind: IdKind, value: string): boolean {
  return value.startsWith(`${idPrefixes[kind]}_`) && value.length === idPrefixes[kind].length + 1 + ENCODED_LENGTH;
}

/** Random url-safe text for tokens and secrets. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

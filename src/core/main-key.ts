import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key that encrypts secrets at rest: from configuration, else a file in the data dir created on first start
 * with owner-only permissions. Processes sharing a PostgreSQL database must share HOOKYARD_MAIN_KEY instead.
 */
export interface MainKeys {
  /** Seals; base64 of 32 bytes. */
  key: string;
  /** Only open: keys being rotated away (HOOKYARD_PREVIOUS_MAIN_KEYS, or the data dir's `main.key.previous`). */
  previous: string[];
  source: 'config' | 'file' | 'generated';
}

function readKeyFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function resolveMainKey(configured: string | null, dataDir: string, configuredPrevious: readonly string[] = []): MainKeys {
  if (configured) return { key: configured, previous: [...configuredPrevious], source: 'config' };
  const path = join(dataDir, 'main.key');
  const previousFile = readKeyFile(`${path}.previous`);
  const previous = [...configuredPrevious, ...(previousFile ? [previousFile] : [])];
  const existing = readKeyFile(path);
  if (existing) return { key: existing, previous, source: 'file' };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first; use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: readFileSync(path, 'utf8').trim(), previous, source: 'file' };
    throw error;
  }
  return { key, previous, source: 'generated' };
}

/**
 * Replaces the data dir's main key with a new one, keeping the old one as `main.key.previous` so that whatever is
 * still sealed with it opens until everything is resealed. Ordered so that a crash at any point leaves a key set
 * that opens every secret.
 */
export function replaceMainKeyFile(dataDir: string): MainKeys {
  const path = join(dataDir, 'main.key');
  const old = readKeyFile(path);
  if (!old) throw new Error(`no ${path} to rotate`);
  writeFileSync(`${path}.previous`, `${old}\n`, { mode: 0o600 });
  const key = randomBytes(32).toString('base64');
  writeFileSync(`${path}.next`, `${key}\n`, { mode: 0o600 });
  renameSync(`${path}.next`, path);
  return { key, previous: [old], source: 'file' };
}

/** Once everything is resealed with the current key, the previous one is no longer needed. */
export function forgetPreviousMainKeyFile(dataDir: string): void {
  rmSync(join(dataDir, 'main.key.previous'), { force: true });
}

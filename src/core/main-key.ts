import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key that encrypts secrets at rest: from configuration, else a file in the data dir created on first start
 * with owner-only permissions. Processes sharing a PostgreSQL database must share HOOKYARD_MAIN_KEY instead.
 */
export function resolveMainKey(configured: string | null, dataDir: string): { key: string; source: 'config' | 'file' | 'generated' } {
  if (configured) return { key: configured, source: 'config' };
  const path = join(dataDir, 'main.key');
  try {
    return { key: readFileSync(path, 'utf8').trim(), source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first; use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: readFileSync(path, 'utf8').trim(), source: 'file' };
    throw error;
  }
  return { key, source: 'generated' };
}

import type { SecretBox } from '../../core/secret-box.js';
import type { Outcome } from '../port.js';
import type { SqlEngine } from './engine.js';

export interface SqlContext {
  engine: SqlEngine;
  secretBox: SecretBox;
  now: () => number;
}

export const notFound = { ok: false, reason: 'not_found' } as const;
export const versionMismatch = { ok: false, reason: 'version_mismatch' } as const;

export function conflict(detail: string): Outcome<never> {
  return { ok: false, reason: 'conflict', detail };
}

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

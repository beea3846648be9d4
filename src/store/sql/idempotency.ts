import type { IdempotencyStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function idempotencyStore(_ctx: SqlContext): IdempotencyStore {
  return new Proxy({} as IdempotencyStore, {
    get: (_target, name) => () => Promise.reject(new Error(`idempotencyStore.${String(name)} is not implemented yet`)),
  });
}

import type { AttemptStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function attemptStore(_ctx: SqlContext): AttemptStore {
  return new Proxy({} as AttemptStore, {
    get: (_target, name) => () => Promise.reject(new Error(`attemptStore.${String(name)} is not implemented yet`)),
  });
}

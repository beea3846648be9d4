import type { MessageStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function messageStore(_ctx: SqlContext): MessageStore {
  return new Proxy({} as MessageStore, {
    get: (_target, name) => () => Promise.reject(new Error(`messageStore.${String(name)} is not implemented yet`)),
  });
}

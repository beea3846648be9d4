import type { TokenStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function tokenStore(_ctx: SqlContext): TokenStore {
  return new Proxy({} as TokenStore, {
    get: (_target, name) => () => Promise.reject(new Error(`tokenStore.${String(name)} is not implemented yet`)),
  });
}

import type { EndpointStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function endpointStore(_ctx: SqlContext): EndpointStore {
  return new Proxy({} as EndpointStore, {
    get: (_target, name) => () => Promise.reject(new Error(`endpointStore.${String(name)} is not implemented yet`)),
  });
}

import type { DeliveryControlStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function deliveryControlStore(_ctx: SqlContext): DeliveryControlStore {
  return new Proxy({} as DeliveryControlStore, {
    get: (_target, name) => () => Promise.reject(new Error(`deliveryControlStore.${String(name)} is not implemented yet`)),
  });
}

import type { EventTypeStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function eventTypeStore(_ctx: SqlContext): EventTypeStore {
  return new Proxy({} as EventTypeStore, {
    get: (_target, name) => () => Promise.reject(new Error(`eventTypeStore.${String(name)} is not implemented yet`)),
  });
}

import type { SettingsStore } from '../port.js';
import type { SqlContext } from './context.js';

// Placeholder until this module is written; every method reports that it is missing.
export function settingsStore(_ctx: SqlContext): SettingsStore {
  return new Proxy({} as SettingsStore, {
    get: (_target, name) => () => Promise.reject(new Error(`settingsStore.${String(name)} is not implemented yet`)),
  });
}

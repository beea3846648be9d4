import type { SettingsStore } from '../port.js';
import type { SqlContext } from './context.js';

export function settingsStore({ engine }: SqlContext): SettingsStore {
  return {
    async getSetting(name) {
      const row = await engine.read((db) => db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst());
      return row?.value;
    },

    async putSettingIfAbsent(name, value) {
      return engine.write(async (tx) => {
        await tx.insertInto('settings').values({ name, value }).onConflict((oc) => oc.column('name').doNothing()).execute();
        const row = await tx.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
        return row.value;
      });
    },
  };
}

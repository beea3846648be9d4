import { parseArgs } from 'node:util';
import { createApiKey, rotateApiKey } from '../auth/api-keys.js';
import { isScope, type Scope } from '../auth/scopes.js';
import type { ApiToken, Store } from '../store/port.js';

export const keyUsage = `Usage: hookyard key <create|list|revoke|rotate> [options]

  key create --name <name> --scopes <s1,s2> [--app <app id or uid>] [--expires-in <seconds>] [--rate-limit <per second>]
  key list
  key revoke <key id>
  key rotate <key id> [--overlap <seconds>]   (default overlap 86400: both keys work meanwhile)

Scopes: admin, or {app,endpoint,message,event_type,source}:{read,write}.
A new key is printed once; it is stored only as a hash.
`;

export class UsageError extends Error {}

function describe(token: ApiToken): string {
  const state = token.revokedAt ? 'revoked' : token.expiresAt && token.expiresAt.getTime() <= Date.now() ? 'expired' : 'active';
  return [
    token.id,
    token.prefix ?? '',
    state,
    `scopes=${token.scopes.join(',')}`,
    token.appId ? `app=${token.appId}` : 'app=*',
    token.expiresAt ? `expires=${token.expiresAt.toISOString()}` : 'expires=never',
    token.lastUsedAt ? `last-used=${token.lastUsedAt.toISOString()}` : 'last-used=never',
    JSON.stringify(token.name),
  ].join('  ');
}

function positiveInteger(value: string | undefined, name: string): number | null {
  if (value === undefined) return null;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new UsageError(`--${name} must be a positive whole number`);
  return parsed;
}

/** `hookyard key …`: API keys managed straight on the store, for bootstrapping and for operators without the API. */
export async function runKeyCommand(argv: string[], store: Store, write: (line: string) => void): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      app: { type: 'string' },
      'expires-in': { type: 'string' },
      'rate-limit': { type: 'string' },
      overlap: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [action, id] = positionals;
  if (values.help) {
    write(keyUsage);
    return;
  }
  switch (action) {
    case 'create': {
      if (!values.name) throw new UsageError('--name is required');
      const scopes = (values.scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
      if (scopes.length === 0) throw new UsageError('--scopes is required');
      const unknown = scopes.filter((scope) => !isScope(scope));
      if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}`);
      let appId: string | null = null;
      if (values.app) {
        const application = await store.getApplication(values.app);
        if (!application) throw new UsageError(`no application ${values.app}`);
        appId = application.id;
      }
      const expiresIn = positiveInteger(values['expires-in'], 'expires-in');
      const { token, key } = await createApiKey(store, {
        name: values.name,
        scopes: scopes as Scope[],
        appId,
        expiresAt: expiresIn === null ? null : new Date(Date.now() + expiresIn * 1000),
        rateLimit: positiveInteger(values['rate-limit'], 'rate-limit'),
      });
      write(describe(token));
      write(`key (shown once): ${key}`);
      return;
    }
    case 'list': {
      let iterator: string | null = null;
      for (;;) {
        const page = await store.listApiTokens({ limit: 250, iterator }, { kinds: ['api_key'] });
        for (const token of page.data) write(describe(token));
        if (page.done || page.iterator === null) return;
        iterator = page.iterator;
      }
    }
    case 'revoke': {
      const token = id ? await store.getApiToken(id) : undefined;
      if (!token || token.kind !== 'api_key') throw new UsageError(`no API key ${id ?? ''}`.trim());
      await store.revokeApiToken(token.id);
      write(`revoked ${token.id} (other processes stop accepting it within 5 s)`);
      return;
    }
    case 'rotate': {
      const token = id ? await store.getApiToken(id) : undefined;
      if (!token || token.kind !== 'api_key') throw new UsageError(`no API key ${id ?? ''}`.trim());
      const overlap = values.overlap === undefined ? 86400 : Number(values.overlap);
      if (!Number.isSafeInteger(overlap) || overlap < 0) throw new UsageError('--overlap must be a whole number of seconds');
      const rotated = await rotateApiKey(store, token.id, new Date(Date.now() + overlap * 1000));
      if (!rotated.ok) throw new UsageError(`${token.id} is revoked or expired`);
      write(describe(rotated.value.token));
      write(`key (shown once): ${rotated.value.key}`);
      write(`the old key ${token.prefix ?? token.id} keeps working for ${overlap} s`);
      return;
    }
    default:
      throw new UsageError(keyUsage);
  }
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const contract = JSON.parse(readFileSync(new URL('../../../shared/reference/svix-server-openapi.json', import.meta.url), 'utf8'));
const methods = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI document', () => {
  let server: TestServer;
  let document: any;
  before(async () => {
    server = await startTestServer({ overrides: { role: 'api' } });
    document = (await server.request('GET', '/api/v1/openapi.json', { token: null })).body;
  });
  after(async () => {
    await server.close();
  });

  it('covers every path and method of the Svix contract', () => {
    const ours = new Set<string>();
    for (const [path, item] of Object.entries<any>(document.paths)) for (const method of Object.keys(item)) ours.add(`${method} ${path}`);
    const missing: string[] = [];
    for (const [path, item] of Object.entries<any>(contract.paths)) {
      for (const method of Object.keys(item).filter((m) => methods.includes(m))) {
        if (!ours.has(`${method} ${path}`)) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('documents each contract response status that a route can give', () => {
    for (const [path, item] of Object.entries<any>(contract.paths)) {
      for (const method of Object.keys(item).filter((m) => methods.includes(m))) {
        const success = Object.keys(item[method].responses).filter((status) => status.startsWith('2'));
        const documented = Object.keys(document.paths[path][method].responses);
        for (const status of success) {
          // The contract's expunge routes list no 2xx; everything else must match.
          assert.ok(documented.includes(status), `${method.toUpperCase()} ${path} lacks ${status}`);
        }
      }
    }
  });

  it('keeps the Svix operation ids', () => {
    for (const [path, item] of Object.entries<any>(contract.paths)) {
      for (const method of Object.keys(item).filter((m) => methods.includes(m))) {
        const theirs = item[method].operationId as string | undefined;
        if (!theirs || !theirs.startsWith('v1.')) continue;
        assert.equal(document.paths[path][method].operationId, theirs, `${method} ${path}`);
      }
    }
  });
});

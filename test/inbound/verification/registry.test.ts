import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from 'typebox/value';
import { configSchemaFor, configSchemas, secretFields, verifierTypes, verifyInbound } from '../../../src/inbound/verification/index.js';
import { assertRejected, inbound } from './support.js';

const NOW = 1_718_000_000_000;

/** A valid config for every type, so the hostile-input checks reach the schemes themselves. */
const SAMPLE_CONFIGS: Record<string, unknown> = {
  stripe: { secret: 'whsec_test' },
  github: { secret: 's', allowSha1: true },
  shopify: { secret: 's' },
  slack: { secret: 's' },
  twilio: { secret: 's' },
  svix: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', publicKey: 'whpk_' + Buffer.alloc(32, 7).toString('base64') },
  'standard-webhooks': { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', publicKey: 'whpk_' + Buffer.alloc(32, 7).toString('base64') },
  paddle: { secret: 's' },
  square: { secret: 's' },
  linear: { secret: 's' },
  zoom: { secret: 's' },
  intercom: { secret: 's' },
  hubspot: { secret: 's' },
  discord: { publicKey: '0f'.repeat(32), toleranceSeconds: 300 },
  sendgrid: {
    publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
    toleranceSeconds: 300,
  },
  mailgun: { secret: 's', toleranceSeconds: 300 },
  hmac: { secret: 's', header: 'X-Signature', timestampHeader: 'X-Timestamp' },
  'basic-auth': { username: 'u', password: 'p' },
  'api-key': { key: 'k' },
  'generic-webhook': {},
};

// Every header any verifier reads, so each hostile value reaches every parser.
const HEADERS_READ = [
  'stripe-signature', 'x-hub-signature-256', 'x-hub-signature', 'x-shopify-hmac-sha256', 'x-slack-signature',
  'x-slack-request-timestamp', 'x-twilio-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'svix-id',
  'svix-timestamp', 'svix-signature', 'paddle-signature', 'x-square-hmacsha256-signature', 'linear-signature',
  'linear-timestamp', 'x-zm-signature', 'x-zm-request-timestamp', 'x-hubspot-signature-v3', 'x-hubspot-request-timestamp',
  'x-signature-ed25519', 'x-signature-timestamp', 'x-twilio-email-event-webhook-signature',
  'x-twilio-email-event-webhook-timestamp', 'x-signature', 'x-timestamp', 'authorization', 'x-api-key', 'content-type',
];

const HOSTILE_VALUES = [
  '',
  ' ',
  '=',
  ',,,;;;',
  't=,v1=,v1',
  'ts=;h1=',
  't=99999999999999999999,v1=zz',
  't=-5,v1=00',
  'v0=',
  'v1, v1a, v1,=== v1a,@@@',
  'sha256=',
  'sha1=' + 'g'.repeat(40),
  'Basic',
  'Basic Og==',
  '\u0000\u00ff\ud83d\ude00',
  '%E0%A4%A',
  'a'.repeat(20_000),
  '9'.repeat(400),
  'application/x-www-form-urlencoded',
];

const HOSTILE_BODIES = [
  Buffer.alloc(0),
  Buffer.from('not json'),
  Buffer.from('{"unterminated'),
  Buffer.from('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['),
  Buffer.from('{"__proto__":{"polluted":1},"id":{"toString":1},"type":["x"],"event":null}'),
  Buffer.from('[]'),
  Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
  Buffer.from('timestamp=1&token=x&signature=zz'),
];

describe('the verifier registry', () => {
  it('lists every type, each with a config schema its sample config satisfies', () => {
    assert.deepEqual([...verifierTypes].sort(), Object.keys(SAMPLE_CONFIGS).sort());
    for (const type of verifierTypes) {
      const schema = configSchemaFor(type);
      assert.ok(schema, type);
      assert.equal(configSchemas[type], schema);
      assert.ok(Value.Check(schema, SAMPLE_CONFIGS[type]), `${type}: sample config does not match its schema`);
    }
    assert.equal(configSchemaFor('nope'), undefined);
  });

  it('names the secret fields, each of them a field of the schema', () => {
    const expected: Record<string, string[]> = { discord: [], sendgrid: [], 'generic-webhook': [], 'basic-auth': ['password'], 'api-key': ['key'] };
    for (const type of verifierTypes) {
      assert.deepEqual(secretFields(type), expected[type] ?? ['secret'], type);
      const schemaText = JSON.stringify(configSchemaFor(type));
      for (const name of secretFields(type)) assert.ok(schemaText.includes(`"${name}"`), `${type}.${name}`);
    }
    assert.deepEqual(secretFields('nope'), []);
  });

  it('rejects an unknown type and a config that does not match the schema', () => {
    const request = inbound({ headers: {}, body: '{}' });
    assertRejected(verifyInbound('carrier-pigeon', {}, request, NOW), 'unknown_type');
    for (const type of verifierTypes) {
      for (const config of [null, undefined, 'whsec_x', [], { secret: 42 }]) {
        assertRejected(verifyInbound(type, config, request, NOW), 'config_invalid');
      }
    }
  });

  it('never throws and never accepts hostile headers and bodies', () => {
    for (const type of verifierTypes) {
      for (const value of HOSTILE_VALUES) {
        for (const body of HOSTILE_BODIES) {
          const headers = Object.fromEntries(HEADERS_READ.map((name) => [name, value]));
          for (const url of ['https://hooks.example.com/in/tok', 'https://[::1]:x/in?bodySHA256=zz&&=', 'not a url']) {
            const result = verifyInbound(type, SAMPLE_CONFIGS[type], { method: 'POST', url, headers, body }, NOW);
            if (type === 'generic-webhook') assert.equal(result.ok, true);
            else assert.equal(result.ok, false, `${type} accepted ${JSON.stringify(value.slice(0, 40))}`);
          }
        }
      }
    }
  });
});

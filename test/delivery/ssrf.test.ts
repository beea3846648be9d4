import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch, request } from 'undici';
import {
  AddressPolicy,
  assertUrlAllowed,
  guardedLookup,
  isSsrfError,
  refusedLiteralUrl,
  SSRF_ERROR_CODE,
} from '../../src/delivery/ssrf.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

// One sample inside each range that must be refused, with the range it stands for.
const REFUSED: [address: string, range: string][] = [
  ['0.0.0.0', '0.0.0.0/8'],
  ['0.1.2.3', '0.0.0.0/8'],
  ['127.0.0.1', '127.0.0.0/8'],
  ['127.255.0.9', '127.0.0.0/8'],
  ['10.20.30.40', '10.0.0.0/8'],
  ['172.16.0.1', '172.16.0.0/12'],
  ['172.31.255.254', '172.16.0.0/12'],
  ['192.168.1.1', '192.168.0.0/16'],
  ['169.254.169.254', '169.254.0.0/16'],
  ['100.64.0.1', '100.64.0.0/10'],
  ['100.100.100.200', '100.64.0.0/10'],
  ['198.18.0.1', '198.18.0.0/15'],
  ['198.19.255.1', '198.18.0.0/15'],
  ['192.0.0.192', '192.0.0.0/24'],
  ['192.0.2.10', '192.0.2.0/24'],
  ['198.51.100.7', '198.51.100.0/24'],
  ['203.0.113.9', '203.0.113.0/24'],
  ['224.0.0.251', '224.0.0.0/4'],
  ['239.255.255.250', '224.0.0.0/4'],
  ['240.0.0.1', '240.0.0.0/4'],
  ['255.255.255.255', '240.0.0.0/4'],
  ['::', '::/128'],
  ['::1', '::1/128'],
  ['fc00::1', 'fc00::/7'],
  ['fd00:ec2::254', 'fc00::/7'],
  ['fe80::1', 'fe80::/10'],
  ['fe80::1%eth0', 'fe80::/10'],
  ['ff02::1', 'ff00::/8'],
  ['2001:db8::1', '2001:db8::/32'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::/23'],
  ['::ffff:127.0.0.1', '127.0.0.0/8'],
  ['::ffff:7f00:1', '127.0.0.0/8'],
  ['::ffff:169.254.169.254', '169.254.0.0/16'],
  ['::ffff:10.0.0.1', '10.0.0.0/8'],
  ['0:0:0:0:0:ffff:c0a8:0101', '192.168.0.0/16'],
  ['64:ff9b::10.1.2.3', '10.0.0.0/8'],
  ['64:ff9b::a9fe:a9fe', '169.254.0.0/16'],
  ['2002:c0a8:0101::1', '192.168.0.0/16'],
];

const PUBLIC = ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:93.184.216.34', '64:ff9b::93.184.216.34'];

const noAllowList = new AddressPolicy([]);
const loopbackAllowed = new AddressPolicy(['127.0.0.0/8', '::1/128']);

function lookupOnce(lookup: LookupFunction, hostname: string, options: { all?: boolean; family?: number } = {}) {
  return new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) => {
    lookup(hostname, options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('AddressPolicy', () => {
  for (const [address, range] of REFUSED) {
    it(`refuses ${address} (${range})`, () => {
      assert.equal(noAllowList.isAllowed(address), false);
      const reason = noAllowList.reasonRefused(address);
      assert.ok(reason !== null);
      assert.ok(reason.startsWith(address), `reason names the address: ${reason}`);
      assert.ok(reason.includes(range), `reason names ${range}: ${reason}`);
    });
  }

  it('allows public IPv4 and IPv6 addresses, including public ones behind IPv4-mapped and NAT64 forms', () => {
    for (const address of PUBLIC) {
      assert.equal(noAllowList.reasonRefused(address), null, address);
      assert.equal(noAllowList.isAllowed(address), true, address);
    }
  });

  it('refuses strings that are not IP addresses', () => {
    assert.equal(noAllowList.isAllowed('example.com'), false);
    assert.match(noAllowList.reasonRefused('999.1.1.1') ?? '', /not an IP address/);
  });

  it('lets exactly the allow-listed network through', () => {
    const policy = new AddressPolicy(['127.0.0.1/32']);
    assert.equal(policy.isAllowed('127.0.0.1'), true);
    assert.equal(policy.isAllowed('::ffff:127.0.0.1'), true, 'the mapped form names the same host');
    assert.equal(policy.isAllowed('127.0.0.2'), false);
    assert.equal(policy.isAllowed('::1'), false);
    assert.equal(policy.isAllowed('10.0.0.1'), false);
    assert.equal(policy.isAllowed('93.184.216.34'), true);
  });

  it('accepts IPv6 CIDRs and bare addresses in the allow-list', () => {
    const policy = new AddressPolicy(['fd00:1234::/32', '192.168.5.5']);
    assert.equal(policy.isAllowed('fd00:1234::9'), true);
    assert.equal(policy.isAllowed('fd00:1235::9'), false);
    assert.equal(policy.isAllowed('192.168.5.5'), true);
    assert.equal(policy.isAllowed('192.168.5.6'), false);
  });

  it('rejects a malformed allow-list entry', () => {
    assert.throws(() => new AddressPolicy(['10.0.0.0/33']), /HOOKYARD_ALLOW_PRIVATE_NETWORKS/);
    assert.throws(() => new AddressPolicy(['not-a-cidr']), /HOOKYARD_ALLOW_PRIVATE_NETWORKS/);
  });
});

describe('refusedLiteralUrl', () => {
  const cases: [url: string, expected: RegExp][] = [
    ['http://127.0.0.1', /127\.0\.0\.0\/8/],
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.0\/8/],
    ['http://[::1]', /::1\/128/],
    ['https://[::ffff:127.0.0.1]/x', /127\.0\.0\.0\/8/],
    ['http://169.254.169.254/latest', /169\.254\.0\.0\/16/],
    ['http://0x7f.1/', /127\.0\.0\.0\/8/],
    ['http://2130706433/', /127\.0\.0\.0\/8/],
    ['http://localhost', /loopback name/],
    ['http://LOCALHOST.:3000/', /loopback name/],
    ['http://api.localhost/', /loopback name/],
    ['ftp://x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ['http://Metadata.Google.Internal./', /metadata/],
    ['http://metadata/', /metadata/],
    ['http://instance-data/latest/meta-data/', /metadata/],
    ['not a url', /not a valid URL/],
  ];
  for (const [url, expected] of cases) {
    it(`refuses ${url}`, () => {
      assert.match(refusedLiteralUrl(url, noAllowList) ?? '(allowed)', expected);
    });
  }

  it('leaves host names and public IPs to the send-time check', () => {
    assert.equal(refusedLiteralUrl('https://example.com/webhooks', noAllowList), null);
    assert.equal(refusedLiteralUrl('http://internal.corp:8080/x', noAllowList), null);
    assert.equal(refusedLiteralUrl('https://93.184.216.34/hook', noAllowList), null);
    assert.equal(refusedLiteralUrl('https://[2606:4700::1111]/hook', noAllowList), null);
  });

  it('accepts loopback URLs once loopback is allow-listed, but never metadata names', () => {
    const policy = new AddressPolicy(['127.0.0.1/32']);
    assert.equal(refusedLiteralUrl('http://127.0.0.1:9000/', policy), null);
    assert.equal(refusedLiteralUrl('http://localhost:9000/', policy), null);
    assert.match(refusedLiteralUrl('http://127.0.0.2:9000/', policy) ?? '', /127\.0\.0\.0\/8/);
    assert.match(refusedLiteralUrl('http://metadata.google.internal/', new AddressPolicy(['0.0.0.0/0'])) ?? '', /metadata/);
  });
});

describe('assertUrlAllowed', () => {
  it('throws an SSRF error naming the address for a refused literal IP', () => {
    assert.throws(
      () => assertUrlAllowed(new URL('http://10.0.0.5:8080/hook'), noAllowList),
      (error: NodeJS.ErrnoException) => error.code === SSRF_ERROR_CODE && error.message.includes('10.0.0.5') && isSsrfError(error),
    );
    assert.throws(() => assertUrlAllowed(new URL('http://metadata.google.internal/'), noAllowList), { code: SSRF_ERROR_CODE });
  });

  it('passes public hosts and names', () => {
    assert.doesNotThrow(() => assertUrlAllowed(new URL('https://example.com/hook'), noAllowList));
    assert.doesNotThrow(() => assertUrlAllowed(new URL('https://[2606:4700::1111]/hook'), noAllowList));
  });
});

describe('guardedLookup', () => {
  it('refuses localhost, naming the resolved address', async () => {
    for (const options of [{}, { all: true }]) {
      const { error } = await lookupOnce(guardedLookup(noAllowList), 'localhost', options);
      assert.equal(error?.code, SSRF_ERROR_CODE);
      assert.match(error.message, /127\.0\.0\.1|::1/);
    }
  });

  it('resolves localhost when loopback is allow-listed, in both callback shapes', async () => {
    const single = await lookupOnce(guardedLookup(loopbackAllowed), 'localhost');
    assert.equal(single.error, null);
    assert.ok(single.address === '127.0.0.1' || single.address === '::1', String(single.address));
    assert.equal(single.family, single.address === '::1' ? 6 : 4);

    const all = await lookupOnce(guardedLookup(loopbackAllowed), 'localhost', { all: true });
    assert.equal(all.error, null);
    assert.ok(Array.isArray(all.address) && all.address.length > 0);
    for (const entry of all.address) assert.ok(['127.0.0.1', '::1'].includes(entry.address), entry.address);
  });

  it('refuses when any resolved address is outside the allow-list', async () => {
    // localhost may also resolve to ::1; allowing only 127.0.0.2 leaves every answer refused either way.
    const { error } = await lookupOnce(guardedLookup(new AddressPolicy(['127.0.0.2/32'])), 'localhost');
    assert.equal(error?.code, SSRF_ERROR_CODE);
  });

  it('checks literal IPs without DNS', async () => {
    const refused = await lookupOnce(guardedLookup(noAllowList), '10.0.0.1');
    assert.equal(refused.error?.code, SSRF_ERROR_CODE);
    assert.match(refused.error.message, /10\.0\.0\.1/);
    const allowed = await lookupOnce(guardedLookup(noAllowList), '93.184.216.34', { all: true });
    assert.equal(allowed.error, null);
    assert.deepEqual(allowed.address, [{ address: '93.184.216.34', family: 4 }]);
  });

  it('refuses metadata host names before resolving them', async () => {
    const { error } = await lookupOnce(guardedLookup(new AddressPolicy(['0.0.0.0/0', '::/0'])), 'metadata.google.internal');
    assert.equal(error?.code, SSRF_ERROR_CODE);
    assert.match(error.message, /metadata/);
  });
});

describe('guardedLookup inside undici', () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver(() => ({ status: 204 }));
  });
  after(async () => {
    await receiver.close();
  });

  it('stops a request to a name that resolves to loopback before it connects', async () => {
    const agent = new Agent({ connect: { lookup: guardedLookup(noAllowList) } });
    try {
      const before = receiver.requests.length;
      await assert.rejects(request(`http://localhost:${receiver.port}/x`, { method: 'POST', body: '{}', dispatcher: agent }), (error) => isSsrfError(error));
      // fetch wraps connection errors in a TypeError; the cause chain still identifies the refusal.
      await assert.rejects(undiciFetch(`http://localhost:${receiver.port}/x`, { method: 'POST', body: '{}', dispatcher: agent }), (error) => isSsrfError(error));
      assert.equal(receiver.requests.length, before, 'nothing reached the receiver');
    } finally {
      await agent.close();
    }
  });

  it('delivers to the same name once loopback is allow-listed', async () => {
    const agent = new Agent({ connect: { lookup: guardedLookup(loopbackAllowed) } });
    try {
      const response = await request(`http://localhost:${receiver.port}/allowed`, { method: 'POST', body: '{"ok":true}', dispatcher: agent });
      await response.body.dump();
      assert.equal(response.statusCode, 204);
      assert.equal(receiver.requests.at(-1)?.path, '/allowed');
    } finally {
      await agent.close();
    }
  });

  it('does not consult lookup for literal-IP hosts, which is why assertUrlAllowed must run first', async () => {
    let lookups = 0;
    const guarded = guardedLookup(noAllowList);
    const counting: LookupFunction = (hostname, options, callback) => {
      lookups++;
      guarded(hostname, options, callback);
    };
    const agent = new Agent({ connect: { lookup: counting } });
    try {
      const url = new URL(`http://127.0.0.1:${receiver.port}/literal`);
      assert.throws(() => assertUrlAllowed(url, noAllowList), { code: SSRF_ERROR_CODE });
      const response = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
      await response.body.dump();
      assert.equal(lookups, 0);
    } finally {
      await agent.close();
    }
  });
});

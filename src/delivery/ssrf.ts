import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { parseCidr } from '../config/config.js';

/**
 * Keeps webhook deliveries away from the gateway's own network (OWASP API7, SSRF prevention cheat sheet): endpoint
 * URLs are chosen by customers, and every request Hookyard sends comes from inside the operator's network.
 *
 * Two checkpoints, because node's `net.connect` skips the `lookup` hook entirely when the host is an IP literal:
 * - `assertUrlAllowed` (and `refusedLiteralUrl` at endpoint create/update) refuse literal IPs, loopback names and
 *   metadata names before any connection is made;
 * - `guardedLookup` is installed as the agent's DNS lookup, so the addresses it vets are the very addresses the
 *   socket connects to; a name cannot re-resolve to something else between check and connect (DNS rebinding).
 */

export const SSRF_ERROR_CODE = 'ERR_HOOKYARD_SSRF';

export class SsrfError extends Error {
  readonly code = SSRF_ERROR_CODE;
  constructor(
    message: string,
    readonly address: string | null = null,
  ) {
    super(message);
    this.name = 'SsrfError';
  }
}

/** True when the error, or any error in its `cause` chain (fetch wraps connect errors), is an SSRF refusal. */
export function isSsrfError(error: unknown): error is SsrfError {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    if ((current as { code?: unknown }).code === SSRF_ERROR_CODE) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

type Family = 'ipv4' | 'ipv6';

interface DeniedRange {
  cidr: string;
  why: string;
}

// IANA special-purpose ranges that are not globally reachable, plus the ones that lead back into the sender's own
// infrastructure. Anything a public webhook receiver could legitimately live on is left out.
const DENIED_V4: readonly DeniedRange[] = [
  { cidr: '0.0.0.0/8', why: '"this network"; 0.0.0.0 reaches the local host on Linux' },
  { cidr: '10.0.0.0/8', why: 'private network, RFC 1918' },
  { cidr: '100.64.0.0/10', why: 'carrier-grade NAT shared space; Alibaba Cloud metadata lives here' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local; cloud metadata services answer on 169.254.169.254' },
  { cidr: '172.16.0.0/12', why: 'private network, RFC 1918' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments; Oracle Cloud metadata answers on 192.0.0.192' },
  { cidr: '192.0.2.0/24', why: 'documentation, TEST-NET-1' },
  { cidr: '192.88.99.0/24', why: 'deprecated 6to4 relay anycast' },
  { cidr: '192.168.0.0/16', why: 'private network, RFC 1918' },
  { cidr: '198.18.0.0/15', why: 'network benchmarking' },
  { cidr: '198.51.100.0/24', why: 'documentation, TEST-NET-2' },
  { cidr: '203.0.113.0/24', why: 'documentation, TEST-NET-3' },
  { cidr: '224.0.0.0/4', why: 'multicast' },
  // Includes the limited broadcast address 255.255.255.255.
  { cidr: '240.0.0.0/4', why: 'reserved and broadcast' },
];

const DENIED_V6: readonly DeniedRange[] = [
  { cidr: '::/128', why: 'unspecified address; reaches the local host' },
  { cidr: '::1/128', why: 'loopback' },
  // Deprecated IPv4-compatible addresses (::a.b.c.d); some stacks still treat them as the embedded IPv4 address.
  { cidr: '::/96', why: 'deprecated IPv4-compatible' },
  { cidr: '64:ff9b:1::/48', why: 'local-use NAT64, RFC 8215' },
  { cidr: '100::/64', why: 'discard-only' },
  // Teredo, benchmarking, ORCHID and protocol anycast addresses: none of them is a webhook receiver.
  { cidr: '2001::/23', why: 'IETF protocol assignments' },
  { cidr: '2001:db8::/32', why: 'documentation' },
  { cidr: '3fff::/20', why: 'documentation, RFC 9637' },
  { cidr: '5f00::/16', why: 'segment routing identifiers' },
  // AWS's IPv6 metadata endpoint fd00:ec2::254 is in here.
  { cidr: 'fc00::/7', why: 'unique local, private network' },
  { cidr: 'fe80::/10', why: 'link-local' },
  { cidr: 'fec0::/10', why: 'deprecated site-local' },
  { cidr: 'ff00::/8', why: 'multicast' },
];

function addCidr(list: BlockList, cidr: string, family: Family): BlockList {
  const [network, prefix] = cidr.split('/');
  list.addSubnet(network!, Number(prefix), family);
  return list;
}

function subnetList(cidr: string, family: Family): BlockList {
  return addCidr(new BlockList(), cidr, family);
}

interface CompiledRange extends DeniedRange {
  list: BlockList;
}

function compile(ranges: readonly DeniedRange[], family: Family): { all: BlockList; each: CompiledRange[] } {
  const all = new BlockList();
  const each = ranges.map((range) => {
    addCidr(all, range.cidr, family);
    return { ...range, list: subnetList(range.cidr, family) };
  });
  return { all, each };
}

const DENY = { ipv4: compile(DENIED_V4, 'ipv4'), ipv6: compile(DENIED_V6, 'ipv6') };

// IPv6 prefixes whose last or middle 32 bits name an IPv4 host that the packet will actually reach, so the embedded
// address is judged by the IPv4 rules.
const IPV4_MAPPED = subnetList('::ffff:0:0/96', 'ipv6');
const NAT64_WELL_KNOWN = subnetList('64:ff9b::/96', 'ipv6');
const SIX_TO_FOUR = subnetList('2002::/16', 'ipv6');

/** Eight 16-bit groups of a valid IPv6 address, dotted-quad tails included. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tailStart = text.lastIndexOf(':') + 1;
  const tail = text.slice(tailStart);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].map((group) => parseInt(group, 16));
}

function ipv4From(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

function embeddedIpv4(address: string): { ipv4: string; via: string } | null {
  if (IPV4_MAPPED.check(address, 'ipv6')) {
    const groups = ipv6Groups(address);
    return { ipv4: ipv4From(groups[6]!, groups[7]!), via: 'the IPv4-mapped address' };
  }
  if (NAT64_WELL_KNOWN.check(address, 'ipv6')) {
    const groups = ipv6Groups(address);
    return { ipv4: ipv4From(groups[6]!, groups[7]!), via: 'the NAT64 address' };
  }
  if (SIX_TO_FOUR.check(address, 'ipv6')) {
    const groups = ipv6Groups(address);
    return { ipv4: ipv4From(groups[1]!, groups[2]!), via: 'the 6to4 address' };
  }
  return null;
}

/** Strips URL brackets and an IPv6 zone (`%eth0`), which name the same host as far as the policy is concerned. */
function bareAddress(ip: string): string {
  let address = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  return address;
}

export class AddressPolicy {
  readonly #allowed = new BlockList();
  readonly #hasAllowList: boolean;

  /** `allowCidrs` are operator-approved networks (HOOKYARD_ALLOW_PRIVATE_NETWORKS) that win over every deny rule. */
  constructor(allowCidrs: readonly string[]) {
    for (const raw of allowCidrs) {
      const [network, prefix] = parseCidr(raw, 'HOOKYARD_ALLOW_PRIVATE_NETWORKS').split('/');
      this.#allowed.addSubnet(network!, Number(prefix), isIP(network!) === 6 ? 'ipv6' : 'ipv4');
    }
    this.#hasAllowList = allowCidrs.length > 0;
  }

  isAllowed(ip: string): boolean {
    return this.reasonRefused(ip) === null;
  }

  /** Verdicts by address: the policy never changes, and each delivery asks again about the same few addresses. */
  readonly #verdicts = new Map<string, string | null>();

  /** Null when deliveries may connect to `ip`; otherwise why not, naming the address and the range it falls in. */
  reasonRefused(ip: string): string | null {
    const known = this.#verdicts.get(ip);
    if (known !== undefined) return known;
    const verdict = this.#verdict(ip);
    if (this.#verdicts.size >= 4096) this.#verdicts.clear();
    this.#verdicts.set(ip, verdict);
    return verdict;
  }

  #verdict(ip: string): string | null {
    const address = bareAddress(ip);
    if (isIP(address) === 0) return `${ip} is not an IP address`;
    const why = this.#refusal(address);
    return why === null ? null : `${ip} is ${why}`;
  }

  #refusal(address: string): string | null {
    const family: Family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.#hasAllowList && this.#allowed.check(address, family)) return null;
    if (family === 'ipv6') {
      const embedded = embeddedIpv4(address);
      if (embedded !== null) {
        const inner = this.#refusal(embedded.ipv4);
        return inner === null ? null : `${embedded.via} for ${embedded.ipv4}, which is ${inner}`;
      }
    }
    const deny = DENY[family];
    if (!deny.all.check(address, family)) return null;
    const range = deny.each.find((candidate) => candidate.list.check(address, family));
    return range === undefined ? 'in a denied range' : `in ${range.cidr} (${range.why})`;
  }
}

// Instance metadata hands out cloud credentials. These names are refused before resolving: some (Equinix Metal)
// resolve to public addresses that answer only from inside the provider, so the address rules cannot catch them.
const METADATA_HOST_NAMES: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
  'metadata.packet.net',
]);

/** Lower-case host without URL brackets or trailing dots (`metadata.google.internal.` is the same name). */
function normaliseHost(host: string): string {
  return bareAddress(host.toLowerCase()).replace(/\.+$/, '');
}

function metadataRefusal(host: string): string | null {
  return METADATA_HOST_NAMES.has(host) ? `${host} is a cloud metadata service` : null;
}

// RFC 6761: localhost and every name under it resolve to loopback without asking DNS.
function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

function refusalFor(url: URL, policy: AddressPolicy): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `webhook URLs must use http or https (got ${url.protocol.replace(/:$/, '')})`;
  }
  const host = normaliseHost(url.hostname);
  if (host === '') return 'webhook URL has no host';
  const metadata = metadataRefusal(host);
  if (metadata !== null) return metadata;
  if (isIP(host) !== 0) return policy.reasonRefused(host);
  if (isLoopbackName(host) && !policy.isAllowed('127.0.0.1') && !policy.isAllowed('::1')) {
    return `${host} is a loopback name`;
  }
  // Other names are judged by the addresses they resolve to, at send time.
  return null;
}

/**
 * For endpoint create/update: a reason when the URL can be refused without DNS (not a URL, wrong scheme, a refused
 * literal IP, localhost, a metadata name); null otherwise.
 */
export function refusedLiteralUrl(url: string, policy: AddressPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a valid URL`;
  }
  return refusalFor(parsed, policy);
}

/** Call before every send: literal-IP hosts never reach `guardedLookup`, so this is their only check. */
export function assertUrlAllowed(url: URL, policy: AddressPolicy): void {
  const reason = refusalFor(url, policy);
  if (reason === null) return;
  const host = normaliseHost(url.hostname);
  throw new SsrfError(`refused to deliver to ${url.host}: ${reason}`, isIP(host) === 0 ? null : host);
}

function familyNumber(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/**
 * A `lookup` for net/tls/undici `connect` options. Every A and AAAA record is vetted, not just the one that would be
 * used: with happy eyeballs (`options.all`) node may connect to any of them, and a name that mixes public and private
 * records is an attack, not a misconfiguration.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const host = normaliseHost(hostname);
    const fail = (error: NodeJS.ErrnoException) => process.nextTick(() => callback(error, options.all ? [] : ''));
    const succeed = (addresses: LookupAddress[]) =>
      options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family);

    const metadata = metadataRefusal(host);
    if (metadata !== null) return fail(new SsrfError(`refused to connect to ${hostname}: ${metadata}`));

    if (isIP(host) !== 0) {
      const reason = policy.reasonRefused(host);
      if (reason !== null) return fail(new SsrfError(`refused to connect to ${host}: ${reason}`, host));
      const address = { address: host, family: familyNumber(host) };
      return process.nextTick(() => succeed([address]));
    }

    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, options.all ? [] : '');
      }
      for (const { address } of addresses) {
        const reason = policy.reasonRefused(address);
        if (reason !== null) {
          return callback(new SsrfError(`refused to connect to ${hostname}: it resolves to ${address}; ${reason}`, address), options.all ? [] : '');
        }
      }
      succeed(addresses);
    });
  };
}

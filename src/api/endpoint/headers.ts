import { isSensitiveHeader } from '../../core/sensitive-headers.js';
import { invalid } from '../errors.js';

/** Headers Hookyard sets itself or that belong to the connection, which an endpoint may not override. */
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'user-agent',
]);
const RESERVED_PREFIXES = ['proxy-', 'webhook-', 'svix-', 'sec-'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function assertAllowedHeaders(headers: Record<string, string | null>, loc: string[]): void {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw invalid([...loc, name], 'not a valid HTTP header name');
    if (RESERVED.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
      throw invalid([...loc, name], 'this header is set by Hookyard and cannot be overridden', 'value_error.forbidden_header');
    }
    if (value !== null && /[\r\n]/.test(value)) throw invalid([...loc, name], 'header values cannot contain line breaks');
  }
}

/** Values of credential-like headers are not returned by the API, only their names. */
export function redactHeaders(headers: Record<string, string>): { headers: Record<string, string>; sensitive: string[] } {
  const visible: Record<string, string> = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isSensitiveHeader(name)) sensitive.push(name);
    else visible[name] = value;
  }
  return { headers: visible, sensitive };
}

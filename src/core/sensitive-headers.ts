/** Header names that carry credentials by convention: their values are never shown or stored in clear. */
const SENSITIVE = /authorization|secret|token|key|password|auth|cookie/i;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE.test(name);
}

/** The headers with credential-like values replaced, for records people read (an attempt's request headers). */
export function withCredentialsRedacted(headers: Readonly<Record<string, string>>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) shown[name] = isSensitiveHeader(name) ? '[redacted]' : value;
  return shown;
}

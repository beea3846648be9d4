import { ApiError } from './errors';
import type { Session } from './session';
import type { Page } from './types';

export type Query = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Path segments from user input or ids, escaped once here. */
export const seg = (value: string) => encodeURIComponent(value);

/** The public API as the signed-in session sees it: JSON in, JSON out, errors as `ApiError`. */
export class Api {
  constructor(readonly session: Session) {}

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = { method, signal, cache: 'no-store' };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await this.session.fetch(path, init);
    if (!response.ok) throw await ApiError.from(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.call<T>('GET', withQuery(path, query), undefined, signal);
  }

  page<T>(path: string, query: Query, iterator: string | null, signal?: AbortSignal): Promise<Page<T>> {
    return this.get<Page<T>>(path, { ...query, iterator }, signal);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  delete(path: string): Promise<void> {
    return this.call<void>('DELETE', path);
  }
}

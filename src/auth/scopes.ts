/**
 * What a credential may do. Each route names the one scope it needs; `admin` holds every scope, and a resource's
 * `write` scope holds its `read` scope. Object-level limits (a credential confined to one application) are checked
 * separately, where the object is loaded.
 */
export const RESOURCES = ['app', 'endpoint', 'message', 'event_type', 'source'] as const;
export type Resource = (typeof RESOURCES)[number];

export type ResourceScope = `${Resource}:${'read' | 'write'}`;
export type Scope = 'admin' | ResourceScope;

export const ALL_SCOPES: readonly Scope[] = ['admin', ...RESOURCES.flatMap((resource) => [`${resource}:read`, `${resource}:write`] as const)];

/**
 * What a route requires: a scope, or just any valid credential (`authenticated`: logging out, reading a task the
 * credential started). Public routes (health, docs, receiving) need nothing and are marked `public` instead.
 */
export type RouteScope = Scope | 'authenticated';

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

export function grants(held: readonly string[], required: RouteScope): boolean {
  if (required === 'authenticated') return true;
  if (held.includes('admin') || held.includes(required)) return true;
  return required.endsWith(':read') && held.includes(required.replace(/:read$/, ':write'));
}

/** A consumer portal sees its own application's endpoints, messages and attempts; a read-only one changes nothing. */
export const PORTAL_READ_SCOPES: readonly Scope[] = ['app:read', 'endpoint:read', 'message:read', 'event_type:read'];
export const PORTAL_WRITE_SCOPES: readonly Scope[] = [...PORTAL_READ_SCOPES, 'endpoint:write', 'message:write'];

/** The scopes a credential of another kind asks for, restricted to what the granting credential holds. */
export function narrow(requested: readonly Scope[], held: readonly string[]): Scope[] {
  return requested.filter((scope) => grants(held, scope));
}

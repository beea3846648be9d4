import type { MessageRouter, RoutableEndpoint } from '../store/port.js';

/**
 * Svix's routing rules: never a disabled endpoint; an endpoint with event types only gets those types; an endpoint
 * with channels only gets messages sharing at least one channel (a message without channels matches none of them);
 * an endpoint without channels gets every message.
 */
export function endpointAccepts(endpoint: RoutableEndpoint, eventType: string, channels: readonly string[] | null): boolean {
  if (endpoint.disabled) return false;
  if (endpoint.eventTypes !== null && !endpoint.eventTypes.includes(eventType)) return false;
  if (endpoint.channels !== null) {
    if (channels === null) return false;
    return endpoint.channels.some((channel) => channels.includes(channel));
  }
  return true;
}

export const routeMessage: MessageRouter = (message, endpoints) =>
  endpoints.filter((endpoint) => endpointAccepts(endpoint, message.eventType, message.channels));

/** Manual sends (send-example) skip the filters but still never reach a disabled endpoint. */
export const routeManually: MessageRouter = (_message, endpoints) => endpoints.filter((endpoint) => !endpoint.disabled);

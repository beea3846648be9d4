import type { Store } from '../port.js';
import { applicationStore } from './applications.js';
import { attemptStore } from './attempts.js';
import { auditStore } from './audit.js';
import { oauthStore } from './oauth.js';
import { keyRotationStore } from './reseal.js';
import type { SqlContext } from './context.js';
import { deliveryControlStore } from './delivery-control.js';
import { deliveryQueueStore } from './delivery-queue.js';
import { endpointStore } from './endpoints.js';
import { eventTypeStore } from './event-types.js';
import { idempotencyStore } from './idempotency.js';
import { inboundEventStore } from './inbound-events.js';
import { messageStore } from './messages.js';
import { operationalWebhookStore } from './operational-events.js';
import { retentionStore } from './retention.js';
import { SendableEndpoints } from './sendable-endpoints.js';
import { settingsStore } from './settings.js';
import { sourceStore } from './sources.js';
import { statsStore } from './stats.js';
import { tokenStore } from './tokens.js';

/** The Store port over Kysely; each adapter supplies the engine (connections, transactions, dialect quirks). */
export function createSqlStore(ctx: SqlContext): Store {
  const { engine } = ctx;
  const sendable = new SendableEndpoints();
  return {
    kind: engine.dialect,
    ...applicationStore(ctx),
    ...endpointStore(ctx),
    ...eventTypeStore(ctx),
    ...messageStore(ctx, sendable),
    ...attemptStore(ctx),
    ...deliveryControlStore(ctx),
    ...tokenStore(ctx),
    ...auditStore(ctx),
    ...oauthStore(ctx),
    ...keyRotationStore(ctx),
    ...idempotencyStore(ctx),
    ...settingsStore(ctx),
    ...deliveryQueueStore(ctx, sendable),
    ...sourceStore(ctx),
    ...inboundEventStore(ctx),
    ...operationalWebhookStore(ctx),
    ...retentionStore(ctx),
    ...statsStore(ctx),
    migrate: () => engine.migrate(),
    async health() {
      try {
        await engine.ping();
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    createWorkSignal: (logger) => engine.createWorkSignal(logger),
    close: () => engine.close(),
  };
}

import { routeMessage } from '../delivery/routing.js';
import type { BackgroundTask, InboundEventState, InboundEventStore } from '../store/port.js';

/** Only these have been forwarded, and can be again; the others are replayed by releasing them or not at all. */
const FORWARDABLE: InboundEventState[] = ['received', 'processed', 'failed'];
const PAGE = 100;

/**
 * Replays every forwardable event of a source matching the task's filter, oldest first, a page at a time. An event
 * that cannot be replayed any more (its body pruned meanwhile) is skipped, not fatal.
 */
export async function replayEvents(store: Pick<InboundEventStore, 'listInboundEvents' | 'replayInboundEvent'>, task: BackgroundTask): Promise<number> {
  const { since, until, states, eventTypes } = task.params;
  const filter = {
    states: (states ?? FORWARDABLE).filter((state) => FORWARDABLE.includes(state)),
    eventTypes: eventTypes ?? null,
    since: since === null ? null : new Date(since),
    until: until === null ? null : new Date(until),
  };
  // Stop at the events that existed when the task began: a replayed event must not be met again.
  const startedAt = task.createdAt.getTime();
  let replayed = 0;
  let iterator: string | null = null;
  for (;;) {
    const page = await store.listInboundEvents(task.appId, { limit: PAGE, iterator, order: 'ascending' }, filter);
    for (const event of page.data) {
      if (event.receivedAt.getTime() > startedAt) return replayed;
      if ((await store.replayInboundEvent(task.appId, event.id, routeMessage)).ok) replayed += 1;
    }
    if (page.done || page.iterator === null) return replayed;
    iterator = page.iterator;
  }
}

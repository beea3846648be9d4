import type { EndpointHealth } from '../store/port.js';

/**
 * A breaker per endpoint, derived from its stored health so that every worker (and the API) sees the same state:
 * closed until `threshold` consecutive failures; then open for `cooldownMs` after the latest failure; then
 * half-open, when one probe may go. A failed probe is one more failure, so it opens the breaker for another
 * cool-down; any success resets the count and closes it.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  threshold: number;
  cooldownMs: number;
}

export interface CircuitView {
  state: CircuitState;
  /** When an open breaker lets a probe through; null otherwise. */
  halfOpensAt: Date | null;
}

export function circuitState(health: EndpointHealth, settings: BreakerSettings, now: number): CircuitView {
  if (health.consecutiveFailures < settings.threshold || health.lastFailureAt === null) return { state: 'closed', halfOpensAt: null };
  const halfOpensAt = health.lastFailureAt.getTime() + settings.cooldownMs;
  return now < halfOpensAt ? { state: 'open', halfOpensAt: new Date(halfOpensAt) } : { state: 'half_open', halfOpensAt: null };
}

export type Admission = { kind: 'send'; probe: boolean } | { kind: 'wait'; until: number };

function latestEvent(health: EndpointHealth): number {
  return Math.max(health.lastFailureAt?.getTime() ?? 0, health.lastSuccessAt?.getTime() ?? 0);
}

/**
 * One worker's view of its endpoints' breakers. Health arrives from claims and from recorded results in no strict
 * order, so the view keeps whichever reflects the later attempt. Only one probe per endpoint is in flight from
 * this worker; other workers may each send one, which a half-open breaker tolerates.
 */
export class CircuitBreakers {
  private readonly health = new Map<string, EndpointHealth>();
  private readonly probes = new Map<string, number>();

  constructor(
    private readonly settings: BreakerSettings,
    /** How long others wait for a probe's verdict before asking again: about one request's timeout. */
    private readonly probeWaitMs: number,
  ) {}

  observe(health: EndpointHealth): void {
    const known = this.health.get(health.endpointId);
    if (known ? latestEvent(known) > latestEvent(health) : latestEvent(health) === 0) return;
    this.health.set(health.endpointId, health);
  }

  admit(endpointId: string, now: number): Admission {
    const health = this.health.get(endpointId);
    if (!health) return { kind: 'send', probe: false };
    const view = circuitState(health, this.settings, now);
    if (view.state === 'closed') return { kind: 'send', probe: false };
    if (view.state === 'open') return { kind: 'wait', until: view.halfOpensAt!.getTime() };
    const probeStarted = this.probes.get(endpointId);
    if (probeStarted !== undefined && now - probeStarted < this.probeWaitMs) return { kind: 'wait', until: probeStarted + this.probeWaitMs };
    this.probes.set(endpointId, now);
    return { kind: 'send', probe: true };
  }

  /** The probe's result is recorded (and observed): the next admission follows the breaker's new state. */
  probeSettled(endpointId: string): void {
    this.probes.delete(endpointId);
  }

  /** Forgets endpoints with a closed breaker, so the map holds only the ones that need watching. */
  prune(now: number): void {
    for (const [endpointId, health] of this.health) {
      if (circuitState(health, this.settings, now).state === 'closed' && !this.probes.has(endpointId)) this.health.delete(endpointId);
    }
  }
}

import type { ProbeGate } from '../coordination/port.js';
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
 * order, so the view keeps whichever reflects the later attempt. The probe gate decides who sends a half-open
 * breaker's one probe: this worker alone, or the whole cluster when the gate is shared through Redis.
 */
export class CircuitBreakers {
  private readonly health = new Map<string, EndpointHealth>();
  /** Endpoints whose probe this worker holds. */
  private readonly probing = new Set<string>();

  constructor(
    private readonly settings: BreakerSettings,
    /** How long others wait for a probe's verdict before asking again: about one request's timeout. */
    private readonly probeWaitMs: number,
    private readonly gate: ProbeGate,
  ) {}

  observe(health: EndpointHealth): void {
    const known = this.health.get(health.endpointId);
    if (known ? latestEvent(known) > latestEvent(health) : latestEvent(health) === 0) return;
    this.health.set(health.endpointId, health);
  }

  async admit(endpointId: string, now: number): Promise<Admission> {
    const health = this.health.get(endpointId);
    if (!health) return { kind: 'send', probe: false };
    const view = circuitState(health, this.settings, now);
    if (view.state === 'closed') return { kind: 'send', probe: false };
    if (view.state === 'open') return { kind: 'wait', until: view.halfOpensAt!.getTime() };
    const probe = await this.gate.acquire(endpointId, this.probeWaitMs, now);
    if (!probe.held) return { kind: 'wait', until: now + probe.freeInMs };
    this.probing.add(endpointId);
    return { kind: 'send', probe: true };
  }

  /** The probe's result is recorded (and observed): the next admission follows the breaker's new state. */
  async probeSettled(endpointId: string): Promise<void> {
    this.probing.delete(endpointId);
    await this.gate.release(endpointId);
  }

  /** Forgets endpoints with a closed breaker, so the map holds only the ones that need watching. */
  prune(now: number): void {
    for (const [endpointId, health] of this.health) {
      if (circuitState(health, this.settings, now).state === 'closed' && !this.probing.has(endpointId)) this.health.delete(endpointId);
    }
  }
}

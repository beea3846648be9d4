import type { Publisher } from '../load.js';

/** One system under test: Hookyard on a store, the reference queue stack, or the no-storage limit. */
export interface Stack {
  readonly name: string;
  start(): Promise<void>;
  /**
   * A fresh target (application, queue, route) fanning each message out to `destinations` (URLs on the receiver);
   * resolves a publisher for it.
   */
  target(destinations: string[], connections: number): Promise<Publisher>;
  stop(): Promise<void>;
  /** The processes doing the stack's work, whose CPU time is counted. */
  pids(): number[];
  /**
   * The processes of the services the stack keeps its data in (the Redis server, the PostgreSQL backends serving
   * its database), whose CPU time is counted apart: none for the embedded store, whose work is the stack's own.
   */
  servicePids(): Promise<number[]>;
}

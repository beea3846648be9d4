import type { Outcome } from '../store/port.js';
import { conflict, notFound, preconditionFailed } from './errors.js';

/** Maps a store outcome to its value or the HTTP error that describes why there is none. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  switch (outcome.reason) {
    case 'conflict':
      throw conflict(outcome.detail);
    case 'not_found':
      throw notFound();
    case 'version_mismatch':
      throw preconditionFailed();
  }
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from './api/types';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads something when the inputs in `deps` change (and on `reload()`), cancelling the previous load. The last data
 * stays shown while a reload runs, so polling does not flicker.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    loader.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the load depends on
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `tick` every `ms` while the page is visible. */
export function useInterval(tick: () => void, ms: number | null): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (ms === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

export interface Paged<T> extends Resource<Page<T>> {
  /** The iterator of the page shown; null for the first. */
  cursor: string | null;
  hasNext: boolean;
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
  first: () => void;
}

/**
 * One page of a list at a time, moved with the API's `iterator` (next) and `prevIterator` (previous). Changing the
 * inputs in `deps` (filters) goes back to the first page.
 */
export function usePaged<T>(load: (iterator: string | null, signal: AbortSignal) => Promise<Page<T>>, deps: readonly unknown[]): Paged<T> {
  const [cursor, setCursor] = useState<string | null>(null);
  const key = JSON.stringify(deps);
  const [seenKey, setSeenKey] = useState(key);
  if (seenKey !== key) {
    setSeenKey(key);
    setCursor(null);
  }
  const resource = useResource((signal) => load(seenKey === key ? cursor : null, signal), [key, cursor]);
  const page = resource.data;
  // A page read backwards (a `-` iterator) says `done` when nothing comes before it; its `iterator` leads forward.
  const backwards = cursor?.startsWith('-') ?? false;
  return {
    ...resource,
    cursor,
    hasNext: page !== undefined && page.iterator !== null && (backwards || !page.done),
    hasPrevious: page !== undefined && cursor !== null && !(backwards && page.done),
    next: () => page?.iterator && setCursor(page.iterator),
    previous: () => setCursor(page?.prevIterator ?? null),
    first: () => setCursor(null),
  };
}

/** Runs an action (a button's), tracking whether it runs and how it failed. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>): { run: (...args: A) => Promise<void>; busy: boolean; error: unknown; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(null) };
}

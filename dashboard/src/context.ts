import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { Mode, Session } from './api/session';

export interface DashboardContext {
  api: Api;
  session: Session;
  mode: Mode;
  /**
   * The application a confined session (the consumer portal, or a key confined to one application) is limited to;
   * null for an operator who sees every application.
   */
  confinedTo: string | null;
  /** Where an application's pages start: `/dashboard/apps/{id}`, or `/dashboard/portal` in the portal. */
  appBase: (appId: string) => string;
}

export const Context = createContext<DashboardContext | null>(null);

export function useDashboard(): DashboardContext {
  const value = useContext(Context);
  if (!value) throw new Error('useDashboard outside a signed-in dashboard');
  return value;
}

import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Api, seg } from './api/client';
import { describeError } from './api/errors';
import { Session, type Mode } from './api/session';
import type { Application } from './api/types';
import { Loading, ErrorBox } from './components/ui';
import { Context, useDashboard, type DashboardContext } from './context';
import { useResource } from './hooks';
import { Link, match, navigate, useLocation } from './router';
import { SignIn } from './views/sign-in';
import { Overview } from './views/overview';
import { Applications } from './views/applications';
import { AppHome } from './views/app-home';
import { EndpointView } from './views/endpoint';
import { MessageView, Messages } from './views/messages';
import { EventTypes } from './views/event-types';
import { SourceView, Sources } from './views/sources';
import { InboundEventView } from './views/inbound-event';
import { ApiKeys } from './views/api-keys';
import { Audit } from './views/audit';

export const BASE = '/dashboard';
const PORTAL_BASE = `${BASE}/portal`;

const modeOf = (path: string): Mode => (path === PORTAL_BASE || path.startsWith(`${PORTAL_BASE}/`) ? 'portal' : 'operator');

/** The portal link carries its token in the fragment; it is read once and removed from the address bar and history. */
function takePortalToken(): string | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return token;
}

type Start = { state: 'starting' } | { state: 'signed-out'; message: string | null } | { state: 'signed-in'; session: Session };

export function App() {
  const mode = modeOf(location.pathname);
  const [start, setStart] = useState<Start>({ state: 'starting' });

  useEffect(() => {
    let cancelled = false;
    const token = mode === 'portal' ? takePortalToken() : null;
    const opening = token ? Session.signIn('portal', { kind: 'portal', token }) : Session.resume(mode);
    opening.then(
      (session) => !cancelled && setStart(session ? { state: 'signed-in', session } : { state: 'signed-out', message: null }),
      (error: unknown) => !cancelled && setStart({ state: 'signed-out', message: describeError(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [mode]);

  useEffect(() => {
    if (start.state !== 'signed-in') return;
    start.session.onEnd = (reason) => setStart({ state: 'signed-out', message: reason });
  }, [start]);

  if (start.state === 'starting') return <Loading label="Opening Hookyard…" />;
  if (start.state === 'signed-out') {
    if (mode === 'portal') return <PortalSignedOut message={start.message} />;
    return <SignIn message={start.message} onSignedIn={(session) => setStart({ state: 'signed-in', session })} />;
  }
  return <SignedIn session={start.session} mode={mode} />;
}

function PortalSignedOut({ message }: { message: string | null }) {
  return (
    <main className="sign-in">
      <div className="card">
        <h1>Webhook portal</h1>
        <p>{message ?? 'You are signed out.'}</p>
        <p className="muted">Open the portal again from the application that gave you the link; portal links work for a limited time.</p>
      </div>
    </main>
  );
}

function SignedIn({ session, mode }: { session: Session; mode: Mode }) {
  const value = useMemo<DashboardContext>(() => {
    const confinedTo = session.appId;
    return {
      api: new Api(session),
      session,
      mode,
      confinedTo,
      appBase: (appId) => (mode === 'portal' ? PORTAL_BASE : `${BASE}/apps/${seg(appId)}`),
    };
  }, [session, mode]);
  if (mode === 'portal' && !value.confinedTo) {
    return <ErrorBox error={new Error('This portal session is not confined to an application; open the portal from its link.')} />;
  }
  return (
    <Context.Provider value={value}>
      <Shell />
    </Context.Provider>
  );
}

interface NavItem {
  to: string;
  label: string;
  scope: string;
}

const operatorNav: NavItem[] = [
  { to: BASE, label: 'Overview', scope: 'message:read' },
  { to: `${BASE}/apps`, label: 'Applications', scope: 'app:read' },
  { to: `${BASE}/event-types`, label: 'Event types', scope: 'event_type:read' },
  { to: `${BASE}/sources`, label: 'Inbound sources', scope: 'source:read' },
  { to: `${BASE}/api-keys`, label: 'Keys and clients', scope: 'admin' },
  { to: `${BASE}/audit`, label: 'Audit log', scope: 'admin' },
];

function Shell() {
  const { session, mode, confinedTo, appBase } = useDashboard();
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  useEffect(() => {
    setMenuOpen(false);
    // A new page: screen readers and keyboard users start at its content, not at the link that led there.
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);

  const nav: NavItem[] = confinedTo
    ? [
        { to: appBase(confinedTo), label: 'Endpoints', scope: 'endpoint:read' },
        { to: `${appBase(confinedTo)}/messages`, label: 'Messages', scope: 'message:read' },
      ]
    : operatorNav;
  const visible = nav.filter((item) => session.can(item.scope));
  const current = visible.filter((item) => path === item.to || path.startsWith(`${item.to}/`)).sort((a, b) => b.to.length - a.to.length)[0];

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">{mode === 'portal' ? <PortalTitle appId={confinedTo!} /> : 'Hookyard'}</span>
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="primary-nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <button
          type="button"
          className="sign-out"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            session.signOut().finally(() => setSigningOut(false));
          }}
        >
          Sign out
        </button>
      </header>
      <nav id="primary-nav" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        <ul>
          {visible.map((item) => (
            <li key={item.to}>
              <Link to={item.to} aria-current={item === current ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
        <p className="muted session-info">
          {mode === 'portal' ? 'Consumer portal' : session.kind === 'client' ? 'OAuth client session' : 'API key session'}
          <br />
          <span className="scopes">{session.scopes.join(' ')}</span>
        </p>
      </nav>
      <main id="main" tabIndex={-1}>
        <Routes path={path} />
      </main>
    </div>
  );
}

function PortalTitle({ appId }: { appId: string }) {
  const { api } = useDashboard();
  const app = useResource((signal) => api.get<Application>(`/api/v1/app/${seg(appId)}`, undefined, signal), [appId]);
  return <>Webhooks{app.data ? ` · ${app.data.name}` : ''}</>;
}

/** The pages of one application, the same in the operator dashboard and in the portal. */
function appRoutes(appId: string, rest: string): ReactNode {
  let params: Record<string, string> | null;
  if (rest === '/' || rest === '') return <AppHome appId={appId} />;
  if ((params = match('/endpoints/:ep', rest))) return <EndpointView appId={appId} endpointId={params.ep!} />;
  if (rest === '/messages') return <Messages appId={appId} />;
  if ((params = match('/messages/:msg', rest))) return <MessageView appId={appId} msgId={params.msg!} />;
  return <NotFound />;
}

function Routes({ path }: { path: string }) {
  const { mode, confinedTo } = useDashboard();
  if (mode === 'portal') return appRoutes(confinedTo!, path.slice(PORTAL_BASE.length));
  const within = path.slice(BASE.length) || '/';
  const appPath = /^\/apps\/([^/]+)(\/.*)?$/.exec(within);
  if (appPath) {
    const appId = decodeURIComponent(appPath[1]!);
    if (confinedTo && appId !== confinedTo) return <Redirect to={`${BASE}/apps/${seg(confinedTo)}`} />;
    return appRoutes(appId, appPath[2] ?? '/');
  }
  if (confinedTo) return <Redirect to={`${BASE}/apps/${seg(confinedTo)}`} />;
  let params: Record<string, string> | null;
  if (within === '/') return <Overview />;
  if (within === '/apps') return <Applications />;
  if (within === '/event-types') return <EventTypes />;
  if (within === '/sources') return <Sources />;
  if ((params = match('/sources/:src', within))) return <SourceView sourceId={params.src!} />;
  if ((params = match('/sources/:src/events/:evt', within))) return <InboundEventView sourceId={params.src!} eventId={params.evt!} />;
  if (within === '/api-keys') return <ApiKeys />;
  if (within === '/audit') return <Audit />;
  return <NotFound />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound() {
  const { confinedTo, appBase } = useDashboard();
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to={confinedTo ? appBase(confinedTo) : BASE}>Back to the start</Link>.
      </p>
    </div>
  );
}

import { useState } from 'react';
import { seg } from '../api/client';
import type { Application } from '../api/types';
import { ActionForm, PagedTable, Section, TextField, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, usePaged } from '../hooks';
import { Link, navigate } from '../router';

/** The fields an application's form edits, as text while they are typed. */
export interface ApplicationDraft {
  name: string;
  uid: string;
  throttleRate: string;
  payloadRetentionPeriod: string;
}

export const draftOf = (app?: Application): ApplicationDraft => ({
  name: app?.name ?? '',
  uid: app?.uid ?? '',
  throttleRate: app?.throttleRate?.toString() ?? '',
  payloadRetentionPeriod: app?.payloadRetentionPeriod?.toString() ?? '',
});

const optionalInt = (text: string) => (text.trim() === '' ? null : Number(text));

export const applicationBody = (draft: ApplicationDraft) => ({
  name: draft.name,
  uid: draft.uid.trim() === '' ? null : draft.uid.trim(),
  throttleRate: optionalInt(draft.throttleRate),
  payloadRetentionPeriod: optionalInt(draft.payloadRetentionPeriod),
});

export function ApplicationFields({ draft, onChange }: { draft: ApplicationDraft; onChange: (draft: ApplicationDraft) => void }) {
  return (
    <div className="grid">
      <TextField label="Name" value={draft.name} required onChange={(name) => onChange({ ...draft, name })} />
      <TextField label="UID" value={draft.uid} hint="Optional: your own id for the application" onChange={(uid) => onChange({ ...draft, uid })} />
      <TextField
        label="Throttle rate"
        type="number"
        value={draft.throttleRate}
        hint="Messages per second to its endpoints; empty: none"
        onChange={(throttleRate) => onChange({ ...draft, throttleRate })}
      />
      <TextField
        label="Payload retention (days)"
        type="number"
        value={draft.payloadRetentionPeriod}
        hint="Empty: the server's default"
        onChange={(payloadRetentionPeriod) => onChange({ ...draft, payloadRetentionPeriod })}
      />
    </div>
  );
}

export function Applications() {
  const { api, session } = useDashboard();
  const apps = usePaged((iterator, signal) => api.page<Application>('/api/v1/app', { limit: 25 }, iterator, signal), []);
  const [draft, setDraft] = useState(draftOf());
  const create = useAction(async () => {
    const app = await api.post<Application>('/api/v1/app', applicationBody(draft));
    navigate(`/dashboard/apps/${seg(app.id)}`);
  });

  return (
    <div className="page">
      <h1>Applications</h1>
      <Section title="All applications">
        <PagedTable
          paged={apps}
          caption="Applications"
          head={['Name', 'UID', 'ID', 'Created']}
          empty="No application yet."
          row={(app) => (
            <tr key={app.id}>
              <td>
                <Link to={`/dashboard/apps/${seg(app.id)}`}>{app.name}</Link>
              </td>
              <td>{app.uid ?? <span className="muted">—</span>}</td>
              <td>
                <code>{app.id}</code>
              </td>
              <td>
                <Time value={app.createdAt} />
              </td>
            </tr>
          )}
        />
      </Section>
      {session.can('app:write') && (
        <Section title="New application">
          <ActionForm action={create} submit="Create application" label="New application">
            <ApplicationFields draft={draft} onChange={setDraft} />
          </ActionForm>
        </Section>
      )}
    </div>
  );
}

import { useState } from 'react';
import type { AuditEntry } from '../api/types';
import { Badge, PagedTable, Section, Select, TextField, Time } from '../components/ui';
import { useDashboard } from '../context';
import { usePaged } from '../hooks';

const OUTCOMES = [
  ['', 'Any outcome'],
  ['success', 'Succeeded'],
  ['denied', 'Denied (403)'],
  ['unauthenticated', 'Unauthenticated (401)'],
] as const;

/** Who changed what, when and from where; and every refused credential. */
export function Audit() {
  const { api } = useDashboard();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const entries = usePaged(
    (iterator, signal) => api.page<AuditEntry>('/api/v1/audit', { limit: 50, actor: actor.trim(), action: action.trim(), outcome }, iterator, signal),
    [actor, action, outcome],
  );
  return (
    <div className="page">
      <h1>Audit log</h1>
      <Section title="Entries">
        <div className="grid">
          <TextField label="Actor" value={actor} onChange={setActor} placeholder="tok_… or cli_…" />
          <TextField label="Action" value={action} onChange={setAction} placeholder="v1.endpoint.create" />
          <Select label="Outcome" value={outcome} onChange={setOutcome} options={OUTCOMES} />
        </div>
        <PagedTable
          paged={entries}
          caption="Audit entries"
          head={['Time', 'Outcome', 'Action', 'Request', 'Actor', 'Address']}
          empty="No entry matches."
          row={(entry) => (
            <tr key={entry.id}>
              <td>
                <Time value={entry.at} />
              </td>
              <td>
                <Badge value={entry.outcome === 'success' ? 'success' : 'fail'} label={`${entry.outcome} ${entry.statusCode}`} />
              </td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td className="url">
                {entry.method} {entry.path}
              </td>
              <td>
                {entry.actorId ? <code>{entry.actorId}</code> : <span className="muted">unknown</span>}
                {entry.actorKind && <div className="muted">{entry.actorKind}</div>}
              </td>
              <td>{entry.ip}</td>
            </tr>
          )}
        />
      </Section>
    </div>
  );
}

import { useState, type ReactNode } from 'react';
import { seg, type Query } from '../api/client';
import type { Attempt } from '../api/types';
import { DeliveryBadge, Empty, ErrorBox, Json, Notice, PagedTable, Section, Select, Table, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, useInterval, usePaged } from '../hooks';
import { Link } from '../router';

export const STATUS_OPTIONS = [
  ['', 'Any status'],
  ['0', 'Success'],
  ['1', 'Pending'],
  ['2', 'Failed'],
  ['3', 'Sending'],
] as const;

/** Attempts are listed newest first; the first page is read again every few seconds to show new ones. */
const REFRESH_MS = 4000;

/**
 * Delivery attempts of an endpoint or of a message: status, response code, duration, trigger, and on request the
 * headers sent and the response body, with a resend of the message to the endpoint from any row.
 */
export function AttemptList({ appId, path, show, query = {} }: { appId: string; path: string; show: 'message' | 'endpoint'; query?: Query }) {
  const { api, session, appBase } = useDashboard();
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const attempts = usePaged((iterator, signal) => api.page<Attempt>(path, { limit: 20, status, ...query }, iterator, signal), [path, status, JSON.stringify(query)]);
  useInterval(() => attempts.cursor === null && attempts.reload(), REFRESH_MS);

  const resend = useAction(async (attempt: Attempt) => {
    await api.post(`/api/v1/app/${seg(appId)}/msg/${seg(attempt.msgId)}/endpoint/${seg(attempt.endpointId)}/resend`);
    setNotice(`Resend of ${attempt.msgId} queued; its attempt will appear here.`);
    attempts.first();
    attempts.reload();
  });

  return (
    <Section
      title="Attempts"
      actions={
        <>
          <Select label="Attempt status" value={status} onChange={setStatus} options={STATUS_OPTIONS} />
          <button type="button" onClick={attempts.reload}>
            Refresh
          </button>
        </>
      }
    >
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={resend.error} />
      <PagedTable
        paged={attempts}
        caption="Attempts"
        head={attemptHead(show === 'message' ? 'Message' : 'Endpoint')}
        empty="No attempt yet."
        row={(attempt) => (
          <AttemptRows
            key={attempt.id}
            attempt={attempt}
            open={open === attempt.id}
            onToggle={() => setOpen(open === attempt.id ? null : attempt.id)}
            actions={
              session.can('message:write') && (
                <button type="button" className="small" disabled={resend.busy} aria-label={`Resend ${attempt.msgId} to ${attempt.url}`} onClick={() => void resend.run(attempt)}>
                  Resend
                </button>
              )
            }
          >
            <td>
              {show === 'message' ? (
                <Link to={`${appBase(appId)}/messages/${seg(attempt.msgId)}`}>
                  <code>{attempt.msgId}</code>
                </Link>
              ) : (
                <Link to={`${appBase(appId)}/endpoints/${seg(attempt.endpointId)}`}>{attempt.url}</Link>
              )}
            </td>
          </AttemptRows>
        )}
      />
    </Section>
  );
}

const ATTEMPT_HEAD = ['Time', 'Status', 'HTTP', 'Duration', 'Trigger'] as const;

/** The columns of a list of attempts: what every attempt shows, one column of the list's own, then the buttons. */
export const attemptHead = (own: string) => [...ATTEMPT_HEAD, own, ''];

const responseCode = (attempt: Attempt) => (attempt.responseStatusCode === 0 ? <span className="muted">no response</span> : attempt.responseStatusCode);
const triggerName = (attempt: Attempt) => (attempt.triggerType === 1 ? 'manual' : 'scheduled');

/**
 * An attempt as a row (what every list shows of it, then `children`: the list's own cell, then a *Details* button
 * and `actions`) and, once opened, the row under it with what was sent and what came back.
 */
export function AttemptRows({ attempt, open, onToggle, actions, children }: { attempt: Attempt; open: boolean; onToggle: () => void; actions?: ReactNode; children: ReactNode }) {
  const detailId = `attempt-${attempt.id}`;
  return (
    <>
      <tr>
        <td>
          <Time value={attempt.timestamp} />
        </td>
        <td>
          <DeliveryBadge status={attempt.status} />
        </td>
        <td>{responseCode(attempt)}</td>
        <td>{attempt.responseDurationMs} ms</td>
        <td>{triggerName(attempt)}</td>
        {children}
        <td className="row-actions">
          <button type="button" className="small" aria-expanded={open} aria-controls={detailId} onClick={onToggle}>
            Details
          </button>
          {actions}
        </td>
      </tr>
      {open && (
        <tr id={detailId} className="detail-row">
          <td colSpan={ATTEMPT_HEAD.length + 2}>
            <AttemptDetail attempt={attempt} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The request an attempt sent (where, when, why, with which headers) and the response it got (code, time, body). */
function AttemptDetail({ attempt }: { attempt: Attempt }) {
  const headers = attempt.requestHeaders ? Object.entries(attempt.requestHeaders).sort(([a], [b]) => a.localeCompare(b)) : null;
  return (
    <div className="attempt-detail">
      <div>
        <h3>Request</h3>
        <dl className="facts">
          <dt>Attempt</dt>
          <dd>
            <code>{attempt.id}</code>
          </dd>
          <dt>Sent</dt>
          <dd>
            <Time value={attempt.timestamp} />
          </dd>
          <dt>To</dt>
          <dd>
            <code>{attempt.url}</code>
          </dd>
          <dt>Trigger</dt>
          <dd>{triggerName(attempt)}</dd>
        </dl>
        {headers ? (
          <Table caption="Request headers sent" head={['Header', 'Value']}>
            {headers.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td>{value === REDACTED ? <span className="muted">{REDACTED}</span> : <code>{value}</code>}</td>
              </tr>
            ))}
          </Table>
        ) : (
          <Empty>The request headers are not kept: the attempt's content was expunged or pruned, or it was made before Hookyard kept them.</Empty>
        )}
      </div>
      <div>
        <h3>Response</h3>
        <dl className="facts">
          <dt>Status code</dt>
          <dd>{responseCode(attempt)}</dd>
          <dt>Duration</dt>
          <dd>{attempt.responseDurationMs} ms</dd>
        </dl>
        {attempt.response ? <Json value={prettyBody(attempt.response)} label="Response body" /> : <Empty>No response body was kept.</Empty>}
      </div>
    </div>
  );
}

/** How the API shows a credential-like header's value. */
const REDACTED = '[redacted]';

/** A JSON body indented for reading; anything else as it came. */
export function prettyBody(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

import { Fragment, useState } from 'react';
import { seg, type Query } from '../api/client';
import type { Attempt } from '../api/types';
import { DeliveryBadge, Empty, ErrorBox, Json, Notice, PagedTable, Section, Select, Time } from '../components/ui';
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
 * Delivery attempts of an endpoint or of a message: status, response code and body, duration, trigger, with a
 * resend of the message to the endpoint from any row.
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
        head={[...ATTEMPT_HEAD, show === 'message' ? 'Message' : 'Endpoint', '']}
        empty="No attempt yet."
        row={(attempt) => (
          <Fragment key={attempt.id}>
            <tr>
              <AttemptCells attempt={attempt} />
              <td>
                {show === 'message' ? (
                  <Link to={`${appBase(appId)}/messages/${seg(attempt.msgId)}`}>
                    <code>{attempt.msgId}</code>
                  </Link>
                ) : (
                  <Link to={`${appBase(appId)}/endpoints/${seg(attempt.endpointId)}`}>{attempt.url}</Link>
                )}
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  className="small"
                  aria-expanded={open === attempt.id}
                  aria-controls={`attempt-${attempt.id}`}
                  onClick={() => setOpen(open === attempt.id ? null : attempt.id)}
                >
                  Response
                </button>
                {session.can('message:write') && (
                  <button type="button" className="small" disabled={resend.busy} aria-label={`Resend ${attempt.msgId} to ${attempt.url}`} onClick={() => void resend.run(attempt)}>
                    Resend
                  </button>
                )}
              </td>
            </tr>
            {open === attempt.id && (
              <tr id={`attempt-${attempt.id}`} className="detail-row">
                <td colSpan={7}>
                  <p className="muted">
                    <code>{attempt.id}</code> · sent to <code>{attempt.url}</code>
                  </p>
                  {attempt.response ? <Json value={prettyBody(attempt.response)} label="Response body" /> : <Empty>No response body was kept.</Empty>}
                </td>
              </tr>
            )}
          </Fragment>
        )}
      />
    </Section>
  );
}

export const ATTEMPT_HEAD = ['Time', 'Status', 'HTTP', 'Duration', 'Trigger'] as const;

/** What every list of attempts shows of one: when, how it ended, the answer's code, how long, what started it. */
export function AttemptCells({ attempt }: { attempt: Attempt }) {
  return (
    <>
      <td>
        <Time value={attempt.timestamp} />
      </td>
      <td>
        <DeliveryBadge status={attempt.status} />
      </td>
      <td>{attempt.responseStatusCode === 0 ? <span className="muted">no response</span> : attempt.responseStatusCode}</td>
      <td>{attempt.responseDurationMs} ms</td>
      <td>{attempt.triggerType === 1 ? 'manual' : 'scheduled'}</td>
    </>
  );
}

/** A JSON body indented for reading; anything else as it came. */
export function prettyBody(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

import { useId, useState, type ReactNode } from 'react';
import { ApiError, describeError } from '../api/errors';
import { STATUS_TEXT, type DeliveryStatus } from '../api/types';
import type { Paged } from '../hooks';

/** An API failure as the API put it: its code and detail, or each field a 422 named. */
export function ErrorBox({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === null || error === undefined) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <div className="error" role="alert">
      {api ? (
        <>
          <strong>{api.status > 0 ? `${api.status} ${api.code}` : api.code}</strong>
          {api.issues.length > 0 ? (
            <ul>
              {api.issues.map((issue, index) => (
                <li key={index}>
                  <code>{issue.loc.join('.')}</code>: {issue.msg}
                </li>
              ))}
            </ul>
          ) : (
            <p>{api.detail}</p>
          )}
        </>
      ) : (
        <p>{describeError(error)}</p>
      )}
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

/** Previous / next over the API's iterators; the list never loads more than a page at once. */
export function Pager<T>({ paged, label }: { paged: Paged<T>; label: string }) {
  const { hasNext, hasPrevious } = paged;
  if (!hasPrevious && !hasNext && paged.cursor === null) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={paged.first} disabled={paged.cursor === null}>
        First
      </button>
      <button type="button" onClick={paged.previous} disabled={!hasPrevious}>
        Previous page
      </button>
      <button type="button" onClick={paged.next} disabled={!hasNext}>
        Next page
      </button>
    </nav>
  );
}

/** A labelled control: the label is tied to the control, so screen readers and `getByLabel` find it. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {hint && (
        <small id={hintId} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

export function TextField({
  label,
  value,
  onChange,
  hint,
  type = 'text',
  required,
  placeholder,
  autoComplete = 'off',
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  type?: string;
  required?: boolean;
  placeholder?: string;
  autoComplete?: string;
}) {
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => (
        <input
          id={id}
          type={type}
          value={value}
          required={required}
          placeholder={placeholder}
          autoComplete={autoComplete}
          spellCheck={false}
          aria-describedby={describedBy}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

export function TextArea({ label, value, onChange, hint, rows = 6 }: { label: string; value: string; onChange?: (value: string) => void; hint?: string; rows?: number }) {
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => (
        <textarea
          id={id}
          className="code"
          rows={rows}
          value={value}
          spellCheck={false}
          readOnly={!onChange}
          aria-describedby={describedBy}
          onChange={(event) => onChange?.(event.target.value)}
        />
      )}
    </Field>
  );
}

export function Select({ label, value, onChange, options }: { label: string; value: string; onChange: (value: string) => void; options: readonly (readonly [string, string])[] }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
          {options.map(([optionValue, text]) => (
            <option key={optionValue} value={optionValue}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

const statusClass: Record<string, string> = {
  success: 'ok',
  processed: 'ok',
  closed: 'ok',
  enabled: 'ok',
  active: 'ok',
  pending: 'wait',
  sending: 'wait',
  received: 'wait',
  half_open: 'wait',
  duplicate: 'muted',
  canceled: 'muted',
  fail: 'bad',
  failed: 'bad',
  open: 'bad',
  disabled: 'bad',
  revoked: 'bad',
  expired: 'bad',
  quarantined: 'warn',
  rejected: 'bad',
};

/** A state as a coloured badge that also says its name (colour is never the only cue). */
export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge ${statusClass[value] ?? 'muted'}`}>{label ?? value.replace('_', ' ')}</span>;
}

export function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  return <Badge value={STATUS_TEXT[status] ?? 'unknown'} />;
}

/** A timestamp in the reader's locale, with the exact ISO value on hover and for assistive technology. */
export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  const date = new Date(value);
  return (
    <time dateTime={value} title={value}>
      {date.toLocaleString()}
    </time>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="small"
      onClick={async () => {
        await navigator.clipboard?.writeText(text);
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** A titled block of a page. */
export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} id={id}>
      <header className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}

/** A list's table, scrolling sideways on a narrow screen rather than breaking the page. */
export function Table({ caption, head, children }: { caption: string; head: readonly string[]; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** Milliseconds since the epoch for an `<input type="datetime-local">` value, as the API's ISO format. */
export function localToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An ISO time as an `<input type="datetime-local">` value in the reader's time zone. */
export function isoToLocal(value: Date): string {
  const shifted = new Date(value.getTime() - value.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/** Parses JSON typed by the reader; a mistake is reported like a 422 from the API, next to the field. */
export function parseJsonInput(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(0, 'invalid_json', `${field} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(0, 'invalid_json', `${field} must be a JSON object.`);
  return value as Record<string, unknown>;
}

/** A form whose submit runs one action, with the action's failure shown above its button. */
export function ActionForm({
  action,
  submit,
  children,
  label,
}: {
  action: { run: () => Promise<void>; busy: boolean; error: unknown };
  submit: string;
  children: ReactNode;
  label?: string;
}) {
  return (
    <form
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault();
        void action.run();
      }}
    >
      {children}
      <ErrorBox error={action.error} />
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Working…' : submit}
      </button>
    </form>
  );
}

/**
 * One page of a list as a table, with what every list shows around it: the load's failure, a first load in
 * progress, an empty list, and the pager. `row` renders one item as a `<tr>` with its key.
 */
export function PagedTable<T>({ paged, caption, head, empty, row }: { paged: Paged<T>; caption: string; head: readonly string[]; empty: string; row: (item: T) => ReactNode }) {
  const items = paged.data?.data;
  return (
    <>
      <ErrorBox error={paged.error} />
      {!paged.data && paged.loading && <Loading />}
      {items?.length === 0 && <Empty>{empty}</Empty>}
      {items && items.length > 0 && (
        <Table caption={caption} head={head}>
          {items.map(row)}
        </Table>
      )}
      <Pager paged={paged} label={caption} />
    </>
  );
}

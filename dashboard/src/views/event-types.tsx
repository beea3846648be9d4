import { Fragment, useState } from 'react';
import { seg } from '../api/client';
import type { EventType } from '../api/types';
import { ActionForm, Badge, Checkbox, Json, PagedTable, Section, TextArea, TextField, Time, parseJsonInput } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, usePaged } from '../hooks';

const EXAMPLE_SCHEMA = '{\n  "type": "object",\n  "properties": {},\n  "examples": [{}]\n}';

/** Event types with their JSON Schemas (by version); create, edit, archive. */
export function EventTypes() {
  const { api, session } = useDashboard();
  const [archived, setArchived] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const types = usePaged(
    (iterator, signal) => api.page<EventType>('/api/v1/event-type', { limit: 25, include_archived: archived, with_content: true }, iterator, signal),
    [archived],
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [schema, setSchema] = useState('');
  const create = useAction(async () => {
    const schemas = schema.trim() ? { '1': parseJsonInput(schema, 'Schema') } : null;
    await api.post('/api/v1/event-type', { name: name.trim(), description, schemas });
    setName('');
    setDescription('');
    setSchema('');
    types.reload();
  });
  const writable = session.can('event_type:write');

  return (
    <div className="page">
      <h1>Event types</h1>
      <Section title="Catalogue" actions={<Checkbox label="Show archived" checked={archived} onChange={setArchived} />}>
        <PagedTable
          paged={types}
          caption="Event types"
          head={['Name', 'Description', 'Schema versions', 'Updated', '']}
          empty="No event type yet."
          row={(type) => (
            <Fragment key={type.name}>
              <tr>
                <td>
                  <code>{type.name}</code> {type.archived && <Badge value="canceled" label="archived" />} {type.deprecated && <Badge value="quarantined" label="deprecated" />}
                </td>
                <td>{type.description}</td>
                <td>{Object.keys(type.schemas ?? {}).join(', ') || <span className="muted">none</span>}</td>
                <td>
                  <Time value={type.updatedAt} />
                </td>
                <td>
                  <button type="button" className="small" aria-expanded={open === type.name} onClick={() => setOpen(open === type.name ? null : type.name)}>
                    {writable ? 'Edit' : 'Schema'}
                  </button>
                </td>
              </tr>
              {open === type.name && (
                <tr className="detail-row">
                  <td colSpan={5}>
                    {writable ? (
                      <EditEventType
                        type={type}
                        onSaved={() => {
                          setOpen(null);
                          types.reload();
                        }}
                      />
                    ) : (
                      <Json value={type.schemas ?? {}} label={`Schemas of ${type.name}`} />
                    )}
                  </td>
                </tr>
              )}
            </Fragment>
          )}
        />
      </Section>
      {writable && (
        <Section title="New event type">
          <ActionForm action={create} submit="Create event type" label="New event type">
            <div className="grid">
              <TextField label="Name" value={name} required placeholder="invoice.paid" onChange={setName} />
              <TextField label="Description" value={description} onChange={setDescription} />
            </div>
            <TextArea label="JSON Schema (version 1)" value={schema} hint={`Optional. For example: ${EXAMPLE_SCHEMA.replace(/\s+/g, ' ')}`} onChange={setSchema} />
          </ActionForm>
        </Section>
      )}
    </div>
  );
}

function EditEventType({ type, onSaved }: { type: EventType; onSaved: () => void }) {
  const { api } = useDashboard();
  const [description, setDescription] = useState(type.description);
  const [schemas, setSchemas] = useState(JSON.stringify(type.schemas ?? {}, null, 2));
  const [deprecated, setDeprecated] = useState(type.deprecated);
  const [archived, setArchived] = useState(type.archived);
  const save = useAction(async () => {
    const parsed = parseJsonInput(schemas, 'Schemas');
    await api.patch(`/api/v1/event-type/${seg(type.name)}`, { description, schemas: Object.keys(parsed).length > 0 ? parsed : null, deprecated, archived });
    onSaved();
  });
  return (
    <ActionForm action={save} submit="Save event type" label={`Edit ${type.name}`}>
      <TextField label="Description" value={description} onChange={setDescription} />
      <TextArea label="Schemas by version (JSON)" value={schemas} rows={10} onChange={setSchemas} />
      <Checkbox label="Deprecated" checked={deprecated} onChange={setDeprecated} />
      <Checkbox label="Archived" checked={archived} onChange={setArchived} />
    </ActionForm>
  );
}

import { newId } from '../../core/ids.js';
import type { AuditEntry, AuditStore } from '../port.js';
import { toDate } from './codec.js';
import type { SqlContext } from './context.js';
import type { AuditLogRow } from './database.js';
import { createdBetween } from './filters.js';
import { paginate, toPage } from './pagination.js';

function toAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    at: toDate(row.at),
    actorId: row.actor_id,
    actorKind: row.actor_kind as AuditEntry['actorKind'],
    action: row.action,
    method: row.method,
    path: row.path,
    statusCode: row.status_code,
    outcome: row.outcome as AuditEntry['outcome'],
    appId: row.app_id,
    ip: row.ip,
    requestId: row.request_id,
  };
}

export function auditStore({ engine }: SqlContext): AuditStore {
  return {
    async recordAudit(entries) {
      if (entries.length === 0) return;
      const rows: AuditLogRow[] = entries.map((entry) => ({
        id: newId('audit', entry.at.getTime()),
        at: entry.at.getTime(),
        actor_id: entry.actorId,
        actor_kind: entry.actorKind,
        action: entry.action,
        method: entry.method,
        path: entry.path,
        status_code: entry.statusCode,
        outcome: entry.outcome,
        app_id: entry.appId,
        ip: entry.ip,
        request_id: entry.requestId,
      }));
      await engine.write((tx) => tx.insertInto('audit_log').values(rows).execute());
    },

    async listAudit(query, filter) {
      const rows = await engine.read((db) => {
        let base = db.selectFrom('audit_log').selectAll();
        if (filter.actorId) base = base.where('actor_id', '=', filter.actorId);
        if (filter.action) base = base.where('action', '=', filter.action);
        if (filter.outcome) base = base.where('outcome', '=', filter.outcome);
        for (const condition of createdBetween('at', filter)) base = base.where(condition);
        const { query: paged, direction } = paginate(base, 'id', query, 'descending');
        return paged.execute().then((result) => ({ result, direction }));
      });
      return toPage(rows.result.map(toAuditEntry), query, rows.direction, (entry) => entry.id);
    },
  };
}

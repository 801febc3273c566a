import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, never>;
/** JSON in and out; never updated (the table is append-only). */
type Snapshot = ColumnType<Record<string, unknown> | null, string | null, never>;

/** One admin action. Append-only: the database refuses UPDATE and DELETE (migration 0013). */
export interface AuditLogTable {
  id: ColumnType<string, string, never>;
  actor_id: ColumnType<string, string, never>;
  action: ColumnType<string, string, never>;
  object_type: ColumnType<string, string, never>;
  object_id: ColumnType<string | null, string | null, never>;
  before: Snapshot;
  after: Snapshot;
  reason: ColumnType<string | null, string | null, never>;
  request_id: ColumnType<string | null, string | null, never>;
  ip: ColumnType<string | null, string | null, never>;
  created_at: Timestamp;
}

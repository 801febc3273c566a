/**
 * Migration helpers: the one place where schema that differs between SQL families is spelled.
 * Migrations call these instead of writing dialect-specific types or statements inline; on PostgreSQL
 * they produce exactly the schema they always did.
 */
import {
  type CreateIndexBuilder,
  type CreateTableBuilder,
  CreateTableNode,
  type Expression,
  ForeignKeyConstraintNode,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type SqlBool,
  sql,
  type UnknownRow,
} from 'kysely';
import { sqlFamily } from '../dialect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped schema.
export type MigrationDb = Kysely<any>;

export const isMysql = (db: MigrationDb) => sqlFamily(db) === 'mysql';

/**
 * On MySQL the migrations run through this plugin, which adjusts every CREATE TABLE:
 * - MySQL before 9.0 parses and silently ignores a foreign key written on a column
 *   (`… references users (id)`), which is how the migrations declare them: every such reference
 *   becomes a table-level FOREIGN KEY constraint, honoured by MySQL 8 and MariaDB alike;
 * - tables are InnoDB in utf8mb4 whatever the server's or the database's defaults are.
 */
class MysqlCreateTable implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!CreateTableNode.is(node)) return node;
    const foreignKeys: ForeignKeyConstraintNode[] = [];
    const columns = node.columns.map((column) => {
      const ref = column.references;
      if (!ref) return column;
      foreignKeys.push(
        ForeignKeyConstraintNode.cloneWith(
          ForeignKeyConstraintNode.create([column.column], ref.table, ref.columns),
          {
            ...(ref.onDelete ? { onDelete: ref.onDelete } : {}),
            ...(ref.onUpdate ? { onUpdate: ref.onUpdate } : {}),
          },
        ),
      );
      return Object.freeze({ ...column, references: undefined });
    });
    return Object.freeze({
      ...node,
      columns,
      constraints: [...(node.constraints ?? []), ...foreignKeys],
      endModifiers: [
        ...(node.endModifiers ?? []),
        sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_unicode_ci`.toOperationNode(),
      ],
    });
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

/** The handle migrations run on: as given, or on MySQL through the CREATE TABLE adjustments above. */
export function migrationHandle(db: MigrationDb): MigrationDb {
  return isMysql(db) ? db.withPlugin(new MysqlCreateTable()) : db;
}

/**
 * Column types by family. MySQL: UUIDs as char(36) in ASCII, instants as UTC datetime(3) (sessions run
 * in UTC), JSON as json.
 */
export function columnTypes(db: MigrationDb) {
  const mysql = isMysql(db);
  return {
    uuid: mysql ? sql`char(36) character set ascii` : sql`uuid`,
    timestamp: mysql ? sql`datetime(3)` : sql`timestamptz`,
    json: mysql ? sql`json` : sql`jsonb`,
    /** Default value for a timestamp column: the current instant. */
    now: mysql ? sql`current_timestamp(3)` : sql`now()`,
    /** Default value for a text column (MySQL takes it only as an expression). */
    text: (value: string) => (mysql ? sql`(${sql.lit(value)})` : sql.lit(value)),
  };
}

/** `created_at` and `updated_at` timestamp columns defaulting to the current instant. */
export function withTimestamps<T extends string>(db: MigrationDb, table: CreateTableBuilder<T, never>) {
  const t = columnTypes(db);
  return table
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now));
}

/**
 * A partial index on PostgreSQL; on MySQL, which has none, the index covers every row (the queries
 * still filter, the index is only larger).
 */
export function partial(db: MigrationDb, index: CreateIndexBuilder, where: Expression<SqlBool>) {
  return isMysql(db) ? index : index.where(where);
}

/** Statuses whose nights are taken (must match ACTIVE_STATUSES in the bookings module). */
const ACTIVE = `'pending_payment', 'awaiting_host', 'confirmed', 'completed'`;

/**
 * No two active bookings of one property may overlap, enforced by the database across processes and
 * connections.
 * - PostgreSQL: an exclusion constraint over half-open date ranges (btree_gist).
 * - MySQL: one `booking_nights` row per night of every active booking, unique on (property, night),
 *   kept by triggers on `bookings` inside the writing transaction: an overlapping insert or
 *   reactivation fails with a duplicate key on `booking_nights_no_overlap`.
 */
export async function createNoOverlapGuard(db: MigrationDb): Promise<void> {
  if (!isMysql(db)) {
    await sql`create extension if not exists btree_gist`.execute(db);
    await sql`
      alter table bookings add constraint bookings_no_overlap
      exclude using gist (property_id with =, daterange(check_in, check_out, '[)') with &&)
      where (status in (${sql.raw(ACTIVE)}))`.execute(db);
    return;
  }
  const t = columnTypes(db);
  await db.schema
    .createTable('booking_nights')
    .addColumn('booking_id', t.uuid, (c) => c.notNull())
    .addColumn('property_id', t.uuid, (c) => c.notNull())
    .addColumn('night', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('booking_nights_pk', ['booking_id', 'night'])
    .addUniqueConstraint('booking_nights_no_overlap', ['property_id', 'night'])
    .addForeignKeyConstraint('booking_nights_booking_fk', ['booking_id'], 'bookings', ['id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  const fill = (row: 'new') => `
      set d = ${row}.check_in;
      while d < ${row}.check_out do
        insert into booking_nights (booking_id, property_id, night) values (${row}.id, ${row}.property_id, d);
        set d = d + interval 1 day;
      end while;`;
  await sql
    .raw(`create trigger bookings_nights_insert after insert on bookings for each row
    begin
      declare d date;
      if new.status in (${ACTIVE}) then ${fill('new')}
      end if;
    end`)
    .execute(db);
  await sql
    .raw(`create trigger bookings_nights_update after update on bookings for each row
    begin
      declare d date;
      if (old.status in (${ACTIVE})) <> (new.status in (${ACTIVE}))
        or old.check_in <> new.check_in or old.check_out <> new.check_out
        or old.property_id <> new.property_id then
        delete from booking_nights where booking_id = old.id;
        if new.status in (${ACTIVE}) then ${fill('new')}
        end if;
      end if;
    end`)
    .execute(db);
}

/**
 * Full-text search over weighted text columns.
 * - PostgreSQL: a stored generated tsvector column `search_vector` (the 'simple' configuration: no
 *   stemming, works for every language) with a GIN index; weights A, B, C in that order.
 * - MySQL: a FULLTEXT index `<table>_search_idx` over the same columns (no weights).
 */
export async function addFullTextSearch(
  db: MigrationDb,
  table: string,
  weighted: Partial<Record<'A' | 'B' | 'C', string>>,
) {
  if (isMysql(db)) {
    await sql
      .raw(`create fulltext index ${table}_search_idx on ${table} (${Object.values(weighted).join(', ')})`)
      .execute(db);
    return;
  }
  const parts = Object.entries(weighted).map(
    ([weight, column]) => `setweight(to_tsvector('simple', coalesce(${column}, '')), '${weight}')`,
  );
  await sql
    .raw(
      `alter table ${table} add column search_vector tsvector generated always as (${parts.join(' || ')}) stored`,
    )
    .execute(db);
  await sql.raw(`create index ${table}_search_idx on ${table} using gin (search_vector)`).execute(db);
}

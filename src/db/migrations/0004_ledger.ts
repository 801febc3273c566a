import { sql } from 'kysely';
import { columnTypes, type MigrationDb } from './helpers.js';

export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .createTable('ledger_transactions')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('reference_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('reference_id', t.uuid, (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('memo', 'varchar(255)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint(
      'ledger_transactions_kind_check',
      sql`kind in ('guest_charge', 'refund', 'payout', 'adjustment')`,
    )
    .execute();
  // One posting of each kind per source record: a retried job or webhook cannot post a charge twice.
  await db.schema
    .createIndex('ledger_transactions_reference_idx')
    .on('ledger_transactions')
    .columns(['reference_type', 'reference_id', 'kind'])
    .unique()
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('transaction_id', t.uuid, (c) => c.notNull().references('ledger_transactions.id'))
    .addColumn('account', 'varchar(80)', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint('ledger_entries_nonzero_check', sql`amount <> 0`)
    .execute();
  await db.schema
    .createIndex('ledger_entries_transaction_idx')
    .on('ledger_entries')
    .column('transaction_id')
    .execute();
  await db.schema
    .createIndex('ledger_entries_account_idx')
    .on('ledger_entries')
    .columns(['account', 'created_at'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('ledger_entries').ifExists().execute();
  await db.schema.dropTable('ledger_transactions').ifExists().execute();
}

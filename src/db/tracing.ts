/**
 * SQL spans: a Kysely dialect whose connections make one CLIENT span per statement run inside a recorded
 * trace (a request, a job). Statements outside any trace (pool warm-up, the replica lag checks) make none.
 *
 * Attributes: `db.system.name` (postgresql, mysql or mariadb), `db.query.text` (the statement as
 * compiled, with `$1` / `?` placeholders: values are never recorded), `db.operation.name` (its first
 * keyword), `db.collection.name` (the first table it names, when it is plain to see),
 * `db.response.returned_rows`, and `roost.db.affected_rows` for writes. The span is named
 * `<operation> <table>` (`SELECT listings`, `BEGIN`).
 *
 * With tracing off, `tracedDialect` returns the dialect itself: no wrapper at all.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult } from 'kysely';
import { tracer, tracingEnabled } from '../platform/tracing.js';
import { wrapAcquire } from './driver-hooks.js';

export type DbSystem = 'postgresql' | 'mysql' | 'mariadb';

const OPERATION = /^\s*(?:\/\*[\s\S]*?\*\/\s*)?([A-Za-z]+)/;
const TARGET = /\b(?:from|into|update|join|table)\s+[`"]?([A-Za-z_][A-Za-z0-9_]*)[`"]?/i;

/** Operation and table of a statement, for the span's name. */
export function describeStatement(sql: string): { operation: string; table: string | undefined } {
  const operation = (OPERATION.exec(sql)?.[1] ?? 'SQL').toUpperCase();
  return { operation, table: TARGET.exec(sql)?.[1] };
}

const traced = new WeakSet<DatabaseConnection>();

function traceConnection(connection: DatabaseConnection, system: () => DbSystem): DatabaseConnection {
  if (traced.has(connection)) return connection;
  traced.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = <R>(query: CompiledQuery, options?: Parameters<typeof execute>[1]) => {
    const parent = context.active();
    // Only inside a trace that is recorded (an unsampled request's statements cost nothing more).
    if (!trace.getSpan(parent)?.isRecording()) return execute<R>(query, options);
    const { operation, table } = describeStatement(query.sql);
    const span = tracer().startSpan(
      table ? `${operation} ${table}` : operation,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': system(),
          'db.query.text': query.sql,
          'db.operation.name': operation,
          ...(table ? { 'db.collection.name': table } : {}),
        },
      },
      parent,
    );
    return execute<R>(query, options).then(
      (result: QueryResult<R>) => {
        span.setAttribute('db.response.returned_rows', result.rows.length);
        if (result.numAffectedRows !== undefined) {
          span.setAttribute('roost.db.affected_rows', Number(result.numAffectedRows));
        }
        span.end();
        return result;
      },
      (err: unknown) => {
        if (err instanceof Error) span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
        span.end();
        throw err;
      },
    );
  };
  return connection;
}

/**
 * `dialect`, its connections tracing their statements (tracing on); `dialect` itself otherwise.
 * `system` is asked when a span starts (MySQL or MariaDB is known only once connected).
 */
export function tracedDialect(dialect: Dialect, system: DbSystem | (() => DbSystem)): Dialect {
  if (!tracingEnabled()) return dialect;
  const systemOf = typeof system === 'function' ? system : () => system;
  return wrapAcquire(
    dialect,
    (acquire) => async (options) => traceConnection(await acquire(options), systemOf),
  );
}

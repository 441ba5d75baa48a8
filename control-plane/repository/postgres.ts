// Postgres driver: postgres.js under drizzle, drizzle's migrator, LISTEN/NOTIFY on a dedicated connection.
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { type Connection, type Db, MIGRATIONS_FOLDER } from './connection.ts';
import * as schema from './schema.ts';

export interface PostgresOptions {
  url: string;
  /** pool size (default 10) */
  max?: number;
  /** apply committed migrations before returning (default true) */
  migrate?: boolean;
}

export async function connectPostgres(options: PostgresOptions): Promise<Connection> {
  const sql = postgres(options.url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: 'roost' },
  });
  const db = drizzle(preparing(sql), { schema }) as unknown as Db;
  try {
    await sql`select 1`;
    if (options.migrate ?? true) await migrateSerialized(db, options.url);
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
  return {
    db,
    driver: 'postgres',
    async listen(channel, handler) {
      const { unlisten } = await sql.listen(channel, handler);
      return unlisten;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

/** Several replicas may start at once: a session advisory lock on its own connection lets one migrate at a time. */
async function migrateSerialized(db: Db, url: string): Promise<void> {
  const lock = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await lock`select pg_advisory_lock(hashtext('roost.migrations'))`;
    await migrate(db as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lock.end({ timeout: 1 });
  }
}

/**
 * Drizzle sends every statement through postgres.js's `unsafe`, which does not prepare it, so Postgres
 * parses and plans each one again: about 0.5 ms per statement on the hot path (test/bench/RESULTS.md).
 * This view of the client prepares every statement with parameters (postgres.js then caches it per
 * connection, by its text), in transactions too.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, args as postgres.ParameterOrJSON<never>[], {
            ...options,
            prepare: Array.isArray(args) && args.length > 0,
          });
      }
      if (property === 'begin') {
        return (...args: unknown[]) => {
          const fn = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
          const rest = args.slice(0, -1) as [string?];
          return (target.begin as (...a: unknown[]) => unknown)(...rest, (tx: postgres.TransactionSql) =>
            fn(preparing(tx as unknown as postgres.Sql) as unknown as postgres.TransactionSql),
          );
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

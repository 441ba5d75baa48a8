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
  const db = drizzle(sql, { schema }) as unknown as Db;
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

// Embedded driver: PGlite (Postgres compiled to WASM) in a data directory, for `roost server local` and tests.
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { type Connection, type Db, MIGRATIONS_FOLDER } from './connection.ts';
import * as schema from './schema.ts';

export interface PgliteOptions {
  /** directory for the database files; undefined keeps it in memory */
  dataDir?: string;
  migrate?: boolean;
}

export async function connectPglite(options: PgliteOptions = {}): Promise<Connection> {
  const client = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  try {
    if (options.migrate ?? true) {
      await migrate(db as Parameters<typeof migrate>[0], { migrationsFolder: MIGRATIONS_FOLDER });
    }
  } catch (error) {
    await client.close();
    throw error;
  }
  return {
    db,
    driver: 'pglite',
    async listen(channel, handler) {
      return client.listen(channel, handler);
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

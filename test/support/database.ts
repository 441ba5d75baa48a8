// Per-test-file databases: a clone of the migrated template on real Postgres, or an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../control-plane/repository/index.ts';
import { withDatabase } from './global-setup.ts';

export interface TestDatabase {
  /** Postgres URL of this file's database; undefined on PGlite */
  readonly url: string | undefined;
  readonly driver: 'postgres' | 'pglite';
  /** Opens a connection (each call a new one on Postgres; PGlite is one shared in-memory instance). */
  open(): Promise<Database>;
  /** Closes what `open` gave and drops the database. */
  drop(): Promise<void>;
}

/** Creates this test file's database: a fresh clone of the template, or PGlite where Postgres is absent. */
export async function createTestDatabase(driver?: 'postgres' | 'pglite'): Promise<TestDatabase> {
  const pg = inject('postgres');
  const opened: Database[] = [];
  if (driver === 'pglite' || (driver === undefined && pg === undefined)) {
    let shared: Promise<Database> | undefined;
    return {
      url: undefined,
      driver: 'pglite',
      open: () => {
        shared ??= openDatabase({});
        return shared;
      },
      drop: async () => {
        if (shared) await (await shared).connection.close();
      },
    };
  }
  if (!pg) throw new Error('this test needs real Postgres, which is unreachable');
  const name = `roost_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${pg.template}"`);
  const url = withDatabase(pg.adminUrl, name);
  return {
    url,
    driver: 'postgres',
    async open() {
      const db = await openDatabase({ url });
      opened.push(db);
      return db;
    },
    async drop() {
      for (const db of opened.splice(0)) await db.connection.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}

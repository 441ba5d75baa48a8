// The database handle every store works on, whichever driver (Postgres or PGlite) sits below it.
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type Unlisten = () => Promise<void>;

/** A live connection to the control plane's database, with LISTEN/NOTIFY for waking other processes. */
export interface Connection {
  readonly db: Db;
  readonly driver: 'postgres' | 'pglite';
  /** Calls `handler` with each NOTIFY payload on `channel`, from any process. */
  listen(channel: string, handler: (payload: string) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = new URL('./migrations/', import.meta.url).pathname;

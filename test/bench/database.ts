// A fresh Postgres database per bench run, dropped at the end; plus what the report needs from the server.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface BenchDatabase {
  readonly name: string;
  /** URL of the bench database, for the control plane */
  readonly url: string;
  /** Postgres' version string */
  version(): Promise<string>;
  /** Server processes connected to the bench database (the control plane's pool) */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

/** `base` is a server URL (any database); the bench database is created beside it. */
export async function createBenchDatabase(base: string): Promise<BenchDatabase> {
  const name = `roost_bench_${randomBytes(5).toString('hex')}`;
  const adminUrl = new URL(base);
  adminUrl.pathname = '/postgres';
  const url = new URL(base);
  url.pathname = `/${name}`;
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async version() {
      const [row] = await admin`select version() as version`;
      return String(row?.version);
    },
    async backendPids() {
      const rows = await admin`select pid from pg_stat_activity where datname = ${name}`;
      return rows.map((row) => Number(row.pid));
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

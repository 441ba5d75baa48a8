// Runs once before the suite: makes the migrated template database that Postgres-backed test files clone.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_FOLDER } from '../../control-plane/repository/connection.ts';
import { connectPostgres } from '../../control-plane/repository/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** admin URL and template name when real Postgres is used; undefined means PGlite */
    postgres: { adminUrl: string; template: string } | undefined;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const adminUrl = process.env.ROOST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const required = process.env.ROOST_REQUIRE_POSTGRES === '1';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin`select 1`;
  } catch (error) {
    await admin.end({ timeout: 1 });
    if (required)
      throw new Error(`ROOST_REQUIRE_POSTGRES=1 but Postgres at ${adminUrl} is unreachable: ${error}`);
    console.warn(`Postgres at ${adminUrl} is unreachable: the Postgres-backed suites run on PGlite instead.`);
    project.provide('postgres', undefined);
    return;
  }
  const template = `roost_template_${migrationsHash()}`;
  const [exists] = await admin`select 1 from pg_database where datname = ${template}`;
  if (!exists) {
    const building = `${template}_${process.pid}`;
    await admin.unsafe(`create database "${building}"`);
    const built = await connectPostgres({ url: withDatabase(adminUrl, building), max: 1 });
    await built.close();
    try {
      await admin.unsafe(`alter database "${building}" rename to "${template}"`);
    } catch {
      await admin.unsafe(`drop database if exists "${building}"`); // another run built it first
    }
  }
  await admin.end({ timeout: 1 });
  project.provide('postgres', { adminUrl, template });
}

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER, { recursive: true }).map(String).sort()) {
    if (file.endsWith('.sql') || file.endsWith('.json'))
      hash.update(file).update(readFileSync(MIGRATIONS_FOLDER + file));
  }
  return hash.digest('hex').slice(0, 12);
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

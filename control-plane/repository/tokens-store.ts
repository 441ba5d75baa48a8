// Registration tokens: created by an admin, listed without their secret, revoked, and counted as used
// inside the transaction that enrols an agent (the row is locked, so uses never exceed the maximum).
import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { registrationTokens } from './schema.ts';

export type RegistrationTokenRow = typeof registrationTokens.$inferSelect;
export type NewRegistrationToken = typeof registrationTokens.$inferInsert;

export class TokensStore {
  constructor(private readonly db: Db) {}

  async create(token: NewRegistrationToken): Promise<RegistrationTokenRow> {
    const [row] = await this.db.insert(registrationTokens).values(token).returning();
    return row!;
  }

  async list(): Promise<RegistrationTokenRow[]> {
    return this.db.select().from(registrationTokens).orderBy(desc(registrationTokens.createdAt));
  }

  async get(id: string): Promise<RegistrationTokenRow | undefined> {
    const [row] = await this.db.select().from(registrationTokens).where(eq(registrationTokens.id, id));
    return row;
  }

  /** Reads the token and locks its row until the transaction ends (registrations queue behind it). */
  async lockForUse(id: string): Promise<RegistrationTokenRow | undefined> {
    const [row] = await this.db
      .select()
      .from(registrationTokens)
      .where(eq(registrationTokens.id, id))
      .for('update');
    return row;
  }

  async countUse(id: string): Promise<void> {
    await this.db
      .update(registrationTokens)
      .set({ uses: sql`${registrationTokens.uses} + 1` })
      .where(eq(registrationTokens.id, id));
  }

  /** Revokes the token; false when it does not exist. Revoking twice keeps the first date. */
  async revoke(id: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(registrationTokens)
      .set({ revokedAt: sql`coalesce(${registrationTokens.revokedAt}, ${now.toISOString()}::timestamptz)` })
      .where(eq(registrationTokens.id, id))
      .returning({ id: registrationTokens.id });
    return rows.length > 0;
  }
}

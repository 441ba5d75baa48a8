// Who may use the REST API: API tokens, users and UI sessions. Secrets are stored only as hashes;
// hashing happens in the webserver, this store only keeps and finds rows.
import { and, asc, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { apiTokens, sessions, users } from './schema.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

export class AccessStore {
  constructor(private readonly db: Db) {}

  /** Stores a new token; false when the name is taken. */
  async createToken(token: {
    id: string;
    name: string;
    role: string;
    tokenHash: string;
    expiresAt: Date | null;
  }): Promise<ApiTokenRow | undefined> {
    const [row] = await this.db.insert(apiTokens).values(token).onConflictDoNothing().returning();
    return row;
  }

  /** Makes sure the configured bootstrap token exists, named `name`, with the admin role. */
  async ensureToken(token: { id: string; name: string; role: string; tokenHash: string }): Promise<void> {
    await this.db
      .insert(apiTokens)
      .values({ ...token, expiresAt: null })
      .onConflictDoUpdate({
        target: apiTokens.name,
        set: { tokenHash: token.tokenHash, role: token.role, expiresAt: null },
      });
  }

  /** Whether any token or user exists (a first start has neither). */
  async anyone(): Promise<boolean> {
    const [token] = await this.db.select({ id: apiTokens.id }).from(apiTokens).limit(1);
    const [user] = token ? [] : await this.db.select({ id: users.id }).from(users).limit(1);
    return Boolean(token ?? user);
  }

  /** The token with this hash, unless it has expired. */
  async tokenByHash(tokenHash: string, now: Date): Promise<ApiTokenRow | undefined> {
    const [row] = await this.db
      .select()
      .from(apiTokens)
      .where(
        and(
          eq(apiTokens.tokenHash, tokenHash),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
        ),
      );
    return row;
  }

  async touchToken(id: string, now: Date): Promise<void> {
    await this.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, id));
  }

  async listTokens(): Promise<ApiTokenRow[]> {
    return this.db.select().from(apiTokens).orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  }

  /** Deletes a token named by id or name; returns whether one was. */
  async revokeToken(idOrName: string): Promise<boolean> {
    const rows = await this.db
      .delete(apiTokens)
      .where(or(eq(apiTokens.id, idOrName), eq(apiTokens.name, idOrName)))
      .returning({ id: apiTokens.id });
    return rows.length > 0;
  }

  /** Stores a new user; undefined when the name is taken. */
  async createUser(user: {
    id: string;
    name: string;
    role: string;
    passwordHash: string;
  }): Promise<UserRow | undefined> {
    const [row] = await this.db.insert(users).values(user).onConflictDoNothing().returning();
    return row;
  }

  async userByName(name: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.name, name));
    return row;
  }

  async listUsers(): Promise<UserRow[]> {
    return this.db.select().from(users).orderBy(asc(users.name));
  }

  /** Deletes a user and every session of theirs; returns whether the user existed. */
  async deleteUser(name: string): Promise<boolean> {
    const rows = await this.db.delete(users).where(eq(users.name, name)).returning({ id: users.id });
    for (const row of rows) await this.db.delete(sessions).where(eq(sessions.userId, row.id));
    return rows.length > 0;
  }

  async createSession(
    session: { id: string; userId: string; secretHash: string; expiresAt: Date },
    now: Date,
  ): Promise<void> {
    // expired sessions go when a new one comes: no sweeper needed
    await this.db.delete(sessions).where(lt(sessions.expiresAt, now));
    await this.db.insert(sessions).values(session);
  }

  /** The live session with this hash and its user. */
  async sessionByHash(
    secretHash: string,
    now: Date,
  ): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    const [row] = await this.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.secretHash, secretHash), gt(sessions.expiresAt, now)));
    return row;
  }

  async deleteSession(secretHash: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.secretHash, secretHash));
  }
}

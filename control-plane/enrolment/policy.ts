// What a registration token allows: whether it may still be used, and which labels an agent enrolled
// with it gets. Pure functions; the repository calls them inside the registration's transaction.
import { RoostError } from '../../protocol/index.ts';

export interface TokenTerms {
  id: string;
  labels: Record<string, string>;
  allowExtraLabels: boolean;
  expiresAt: Date | null;
  maxUses: number | null;
  uses: number;
  revokedAt: Date | null;
}

// the token was valid once: what it no longer (or never) allows is forbidden, not unauthenticated
const refused = (message: string) => new RoostError('ROOST_FORBIDDEN', message);

/** Throws (ROOST_FORBIDDEN, naming the reason) when the token can enrol no more agents. */
export function checkTokenUsable(token: TokenTerms, now: Date): void {
  if (token.revokedAt) throw refused(`registration token ${token.id} was revoked`);
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime())
    throw refused(`registration token ${token.id} expired at ${token.expiresAt.toISOString()}`);
  if (token.maxUses !== null && token.uses >= token.maxUses)
    throw refused(`registration token ${token.id} is used up (${token.uses} of ${token.maxUses} uses)`);
}

/**
 * The labels an agent gets: every label of the token, plus those it asks for. It may repeat a token
 * label, never change its value, and add labels of its own only when the token allows extra labels.
 */
export function grantedLabels(token: TokenTerms, requested: Record<string, string>): Record<string, string> {
  const labels = { ...token.labels };
  for (const [key, value] of Object.entries(requested)) {
    const allowed = token.labels[key];
    if (allowed !== undefined && allowed !== value)
      throw refused(`label ${key}=${value} is beyond the token: it grants ${key}=${allowed}`);
    if (allowed === undefined && !token.allowExtraLabels)
      throw refused(`label ${key}=${value} is beyond the token, which allows no labels of the agent's own`);
    labels[key] = value;
  }
  return labels;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `30m`, `24h`, `7d` into milliseconds; `source` names the field in errors. */
export function parseDuration(text: string, source: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  const amount = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(amount) || amount < 1)
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      `${source}: "${text}" is not a duration like 90s, 30m, 24h or 7d`,
    );
  return amount * (UNITS[match[2]!] ?? 0);
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** Checks a label map from a request: string keys of a safe shape and string values. */
export function checkLabels(value: unknown, source: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new RoostError('ROOST_BAD_REQUEST', `${source} must be a map of label to value`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 64) throw new RoostError('ROOST_BAD_REQUEST', `${source} has more than 64 labels`);
  for (const [key, label] of entries) {
    if (!LABEL_KEY.test(key))
      throw new RoostError(
        'ROOST_BAD_REQUEST',
        `${source}: label key ${JSON.stringify(key)} must be letters, digits, '.', '_', '/' or '-'`,
      );
    if (typeof label !== 'string' || label.length > 256)
      throw new RoostError(
        'ROOST_BAD_REQUEST',
        `${source}.${key} must be a string of at most 256 characters`,
      );
  }
  return value as Record<string, string>;
}

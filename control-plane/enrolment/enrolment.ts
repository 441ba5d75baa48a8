// Enrolment: registration tokens are created here, and traded for a per-agent credential in one
// transaction that locks the token, checks it, counts the use and records the agent.
import { hostname } from 'node:os';
import { isValidAgentId, newId, RoostError } from '../../protocol/index.ts';
import type { AgentRow, RegistrationTokenRow, Repository } from '../repository/index.ts';
import {
  newAgentCredential,
  newRegistrationToken,
  parseRegistrationToken,
  tokenSecretMatches,
} from './credentials.ts';
import { checkLabels, checkTokenUsable, grantedLabels, parseDuration } from './policy.ts';

export interface TokenRequest {
  labels?: unknown;
  groups?: unknown;
  expires?: unknown;
  maxUses?: unknown;
  description?: unknown;
  allowExtraLabels?: unknown;
}

const bad = (message: string) => new RoostError('ROOST_BAD_REQUEST', message);

/** A token as listed: everything but its secret. */
export function tokenView(row: RegistrationTokenRow, now: Date) {
  let state = 'active';
  try {
    checkTokenUsable(row, now);
  } catch {
    state = row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : 'used up';
  }
  return {
    id: row.id,
    description: row.description,
    labels: row.labels,
    groups: row.groups,
    allowExtraLabels: row.allowExtraLabels,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    maxUses: row.maxUses,
    uses: row.uses,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    state,
  };
}

/**
 * Creates a registration token. Groups name worker groups: a declared group's selector labels (those
 * with a fixed value) become token labels, an undeclared key becomes `group=KEY`.
 */
export async function createToken(repository: Repository, request: TokenRequest, now = new Date()) {
  const labels = { ...checkLabels(request.labels, 'labels') };
  const groups = request.groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || !isValidAgentId(g)))
    throw bad('groups must be a list of worker group keys');
  const declared = new Map((await repository.agents.workerGroups()).map((g) => [g.key, g.selector]));
  for (const key of groups as string[]) {
    const selector = declared.get(key) ?? { group: key };
    for (const [label, value] of Object.entries(selector)) {
      if (value === '*') continue;
      if (labels[label] !== undefined && labels[label] !== value)
        throw bad(
          `group ${key} needs ${label}=${value}, but the token's labels say ${label}=${labels[label]}`,
        );
      labels[label] = value;
    }
  }
  let expiresAt: Date | null = null;
  if (request.expires !== undefined && request.expires !== null) {
    if (typeof request.expires !== 'string') throw bad('expires must be a duration like 24h');
    expiresAt = new Date(now.getTime() + parseDuration(request.expires, 'expires'));
  }
  let maxUses: number | null = null;
  if (request.maxUses !== undefined && request.maxUses !== null) {
    if (!Number.isSafeInteger(request.maxUses) || (request.maxUses as number) < 1)
      throw bad(`maxUses must be a whole number of at least 1, got ${JSON.stringify(request.maxUses)}`);
    maxUses = request.maxUses as number;
  }
  const description = request.description ?? null;
  if (description !== null && (typeof description !== 'string' || description.length > 1000))
    throw bad('description must be a string of at most 1000 characters');
  if (request.allowExtraLabels !== undefined && typeof request.allowExtraLabels !== 'boolean')
    throw bad('allowExtraLabels must be true or false');
  const { id, token, secretHash } = newRegistrationToken();
  const row = await repository.tokens.create({
    id,
    secretHash,
    description,
    labels,
    groups: groups as string[],
    allowExtraLabels: request.allowExtraLabels === true,
    expiresAt,
    maxUses,
  });
  return { ...tokenView(row, now), token };
}

export interface RegistrationRequest {
  token?: unknown;
  labels?: unknown;
  name?: unknown;
}

export interface Registration {
  agentId: string;
  name: string;
  credential: string;
  labels: Record<string, string>;
}

/** Trades a registration token for a new agent and its credential (returned once, stored as a hash). */
export async function register(
  repository: Repository,
  request: RegistrationRequest,
  now: () => Date = () => new Date(),
): Promise<Registration> {
  if (typeof request.token !== 'string')
    throw bad('token is required: the registration token (roost agent token create)');
  const parsed = parseRegistrationToken(request.token);
  if (!parsed) throw new RoostError('ROOST_UNAUTHORIZED', 'the token is not a registration token (rrt.…)');
  const requested = checkLabels(request.labels, 'labels');
  const name = request.name ?? hostname();
  if (typeof name !== 'string' || !name.trim() || name.length > 256)
    throw bad('name must be a non-empty string of at most 256 characters');
  // hashing takes tens of milliseconds: do it before taking the token's lock
  const { credential, hash } = await newAgentCredential();
  const agent: AgentRow = await repository.transaction(async (tx) => {
    const token = await tx.tokens.lockForUse(parsed.id);
    if (!token || !tokenSecretMatches(parsed.secret, token.secretHash))
      throw new RoostError('ROOST_UNAUTHORIZED', 'the registration token is not valid');
    const at = now();
    checkTokenUsable(token, at);
    const labels = grantedLabels(token, requested);
    await tx.tokens.countUse(token.id);
    return tx.agents.enrol({ id: newId(), name, labels, credentialHash: hash, tokenId: token.id, now: at });
  });
  return { agentId: agent.id, name: agent.name, credential, labels: agent.labels };
}

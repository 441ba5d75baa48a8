// The first admin: the configured admin token (ROOST_ADMIN_TOKEN / --admin-token), kept in step with
// the configuration on every start; or, on a first start with no token and no user at all, a new
// admin token that the server prints once.
import { newId, RoostError } from '../../../protocol/index.ts';
import type { Repository } from '../../repository/index.ts';
import { newApiToken, secretHash } from './credentials.ts';

export const CONFIGURED_ADMIN_TOKEN_NAME = 'admin (configured)';
export const FIRST_ADMIN_TOKEN_NAME = 'admin (first start)';
const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Returns the token it generated, which must be shown to the operator now: it is never readable again. */
export async function bootstrapAdmin(
  repository: Repository,
  configuredToken: string | undefined,
): Promise<string | undefined> {
  if (configuredToken !== undefined) {
    if (configuredToken.length < MIN_ADMIN_TOKEN_LENGTH || /\s/.test(configuredToken)) {
      throw new RoostError(
        'ROOST_CONFIG',
        `the admin token (ROOST_ADMIN_TOKEN or --admin-token) must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces`,
      );
    }
    await repository.access.ensureToken({
      id: newId(),
      name: CONFIGURED_ADMIN_TOKEN_NAME,
      role: 'admin',
      tokenHash: secretHash(configuredToken),
    });
    return undefined;
  }
  return repository.transaction(async (tx) => {
    if (await tx.access.anyone()) return undefined;
    const token = newApiToken();
    // the name is unique: of several replicas starting at once, only one creates (and prints) it
    const row = await tx.access.createToken({
      id: newId(),
      name: FIRST_ADMIN_TOKEN_NAME,
      role: 'admin',
      tokenHash: secretHash(token),
      expiresAt: null,
    });
    return row ? token : undefined;
  });
}

// How the broker checks an agent's password: an enrolled agent's own credential (or the one being
// rotated in), never the shared secret; agents that never enrolled may use the shared secret, if one is set.
import { timingSafeEqual } from 'node:crypto';
import type { Repository } from '../repository/index.ts';
import { credentialMatches } from './credentials.ts';

export function agentVerifier(repository: Repository, sharedSecret: string | undefined) {
  return async (agentId: string, password: Buffer): Promise<boolean> => {
    const agent = await repository.agents.get(agentId);
    if (agent?.revokedAt) return false;
    if (agent && (agent.credentialHash || agent.tokenId)) {
      const given = password.toString('utf8');
      for (const hash of [agent.credentialHash, agent.pendingCredentialHash])
        if (hash && (await credentialMatches(given, hash))) return true;
      return false;
    }
    if (sharedSecret === undefined) return false;
    const want = Buffer.from(sharedSecret);
    return password.length === want.length && timingSafeEqual(password, want);
  };
}

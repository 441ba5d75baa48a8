// How the broker checks an agent's password: an enrolled agent's own credential (or the one being
// rotated in), never the shared secret; agents that never enrolled may use the shared secret, if one is set.
// The agent's row is read on every connection, so revocation and rotation apply at once; only the
// scrypt work is remembered (per agent: which stored hash the password last matched), so a fleet
// reconnecting after an outage costs one SHA-256 per agent instead of one scrypt.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Repository } from '../repository/index.ts';
import { credentialMatches } from './credentials.ts';

const digest = (password: Buffer) => createHash('sha256').update(password).digest();

export function agentVerifier(repository: Repository, sharedSecret: string | undefined) {
  const verified = new Map<string, { storedHash: string; passwordDigest: Buffer }>();
  return async (agentId: string, password: Buffer): Promise<boolean> => {
    const agent = await repository.agents.get(agentId);
    if (agent?.revokedAt) return false;
    if (agent && (agent.credentialHash || agent.tokenId)) {
      const given = digest(password);
      const stored = [agent.credentialHash, agent.pendingCredentialHash].filter((h): h is string => !!h);
      const known = verified.get(agentId);
      if (known && stored.includes(known.storedHash) && timingSafeEqual(known.passwordDigest, given))
        return true;
      for (const hash of stored) {
        if (await credentialMatches(password.toString('utf8'), hash)) {
          verified.set(agentId, { storedHash: hash, passwordDigest: given });
          return true;
        }
      }
      return false;
    }
    if (sharedSecret === undefined) return false;
    const want = Buffer.from(sharedSecret);
    return password.length === want.length && timingSafeEqual(password, want);
  };
}

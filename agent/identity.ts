// The agent's identity, generated once and kept in {dataDir}/agent.json (mode 0600) so it survives restarts.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RoostError } from '../protocol/errors.ts';
import { newId } from '../protocol/ids.ts';
import { isValidAgentId } from '../protocol/topics.ts';

export interface AgentIdentity {
  agentId: string;
  createdAt: string;
}

export function identityPath(dataDir: string): string {
  return join(dataDir, 'agent.json');
}

/** Reads the identity kept in `dataDir`, creating it (and the directory, mode 0700) the first time. */
export async function loadOrCreateIdentity(dataDir: string): Promise<AgentIdentity> {
  const path = identityPath(dataDir);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    let parsed: Partial<AgentIdentity>;
    try {
      parsed = JSON.parse(text) as Partial<AgentIdentity>;
    } catch {
      throw new RoostError(
        'ROOST_CONFIG',
        `${path} is not valid JSON; fix it or remove it to get a new agent id`,
      );
    }
    if (typeof parsed.agentId !== 'string' || !isValidAgentId(parsed.agentId)) {
      throw new RoostError(
        'ROOST_CONFIG',
        `${path} holds no valid agentId; fix it or remove it to get a new agent id`,
      );
    }
    return { agentId: parsed.agentId, createdAt: String(parsed.createdAt ?? '') };
  }
  const identity: AgentIdentity = { agentId: newId(), createdAt: new Date().toISOString() };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return identity;
}

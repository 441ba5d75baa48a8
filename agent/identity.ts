// The agent's identity, generated once (or given by enrolment) and kept in {dataDir}/agent.json (mode
// 0600) so it survives restarts. An enrolled agent's file also holds where it connects and its credential.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RoostError } from '../protocol/errors.ts';
import { newId } from '../protocol/ids.ts';
import { isValidAgentId } from '../protocol/topics.ts';

export interface AgentIdentity {
  agentId: string;
  createdAt: string;
  /** set by `roost agent register` */
  enrolment?: Enrolment;
}

export interface Enrolment {
  /** the control plane's HTTP(S) address it registered with */
  server: string;
  /** the broker URL it connects to */
  url: string;
  credential: string;
  name: string;
  labels: Record<string, string>;
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
    return {
      agentId: parsed.agentId,
      createdAt: String(parsed.createdAt ?? ''),
      ...(parsed.enrolment ? { enrolment: parsed.enrolment } : {}),
    };
  }
  const identity: AgentIdentity = { agentId: newId(), createdAt: new Date().toISOString() };
  await writeIdentity(dataDir, identity);
  return identity;
}

/** Writes the identity file atomically, mode 0600 (the directory 0700). */
export async function writeIdentity(dataDir: string, identity: AgentIdentity): Promise<void> {
  const path = identityPath(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The enrolment kept in `dataDir`, if the agent registered (read at start-up, before anything runs). */
export function readEnrolment(dataDir: string): (Enrolment & { agentId: string }) | undefined {
  let parsed: Partial<AgentIdentity>;
  try {
    parsed = JSON.parse(readFileSync(identityPath(dataDir), 'utf8')) as Partial<AgentIdentity>;
  } catch {
    return undefined; // absent or unreadable: loadOrCreateIdentity reports the problem
  }
  const e = parsed.enrolment;
  if (
    !e ||
    typeof e.credential !== 'string' ||
    typeof e.url !== 'string' ||
    typeof parsed.agentId !== 'string'
  )
    return undefined;
  return { ...e, agentId: parsed.agentId };
}

/** Replaces the stored credential (rotation), keeping everything else. */
export async function storeCredential(dataDir: string, credential: string): Promise<void> {
  const identity = await loadOrCreateIdentity(dataDir);
  if (!identity.enrolment) throw new Error('this agent is not enrolled: no credential to replace');
  await writeIdentity(dataDir, { ...identity, enrolment: { ...identity.enrolment, credential } });
}

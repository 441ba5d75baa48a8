// What the dispatcher does when an admin changes an agent (announced on AGENTS_CHANNEL): revoke it
// (disconnect, release its leases), apply new labels or maintenance, or rotate its credential.
import { newId } from '../../protocol/index.ts';
import { newAgentCredential } from '../enrolment/index.ts';
import type { AgentNotice } from '../repository/index.ts';
import type { Dispatcher } from './dispatcher.ts';

export async function onAgentNotice(d: Dispatcher, notice: AgentNotice): Promise<void> {
  switch (notice.kind) {
    case 'revoked':
      return revoked(d, notice.agentId);
    case 'changed':
      return changed(d, notice.agentId);
    case 'rotate':
      return rotate(d, notice.agentId);
  }
}

async function revoked(d: Dispatcher, agentId: string): Promise<void> {
  const session = d.sessions.get(agentId);
  if (session) d.sessions.close(agentId, session.sessionId);
  const wasConnected = d.options.broker.disconnect(agentId);
  d.logger.warn({ agentId, wasConnected }, 'agent revoked: disconnected, its leases released');
  await d.releaseAgent(agentId, `agent ${session?.name ?? agentId} was revoked`);
}

async function changed(d: Dispatcher, agentId: string): Promise<void> {
  const session = d.sessions.get(agentId);
  if (!session) return;
  const row = await d.repository.agents.get(agentId);
  if (!row) return;
  if (row.credentialHash) session.labels = row.labels;
  session.membership = d.membership(session.labels);
  session.adminMaintenance = row.adminMaintenance;
  d.logger.info(
    { agentId, labels: session.labels, maintenance: row.adminMaintenance },
    'agent changed by an admin',
  );
  d.queued.addMembership(session.membership);
  d.dispatchSoon();
}

/** Sends a new credential to the agent; it becomes the only valid one once the agent acknowledges it. */
async function rotate(d: Dispatcher, agentId: string): Promise<void> {
  if (!d.sessions.get(agentId)) return; // another dispatcher holds its connection
  const { credential, hash } = await newAgentCredential();
  if (!(await d.repository.agents.setPendingCredential(agentId, hash))) return;
  d.publish(agentId, 'control', { ...d.envelope(), kind: 'credential', credentialId: newId(), credential });
  d.logger.info({ agentId }, 'new credential sent to the agent');
}

/** The agent stored its new credential: the old one stops working. */
export async function credentialStored(d: Dispatcher, agentId: string): Promise<void> {
  if (await d.repository.agents.promotePendingCredential(agentId))
    d.logger.info({ agentId }, 'credential rotated: the previous one no longer works');
}

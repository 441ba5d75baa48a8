// Builders for the messages an agent sends: each gets the protocol version and a fresh message id.
import { newId } from '../protocol/ids.ts';
import type { Ack, Heartbeat, Hello, JobRef } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';

/** Set by `npm run build` (esbuild's define) to the bundle's version; the source tree says 0.1.0. */
declare const __ROOST_AGENT_VERSION__: string | undefined;
export const AGENT_VERSION: string =
  typeof __ROOST_AGENT_VERSION__ === 'string' ? __ROOST_AGENT_VERSION__ : '0.1.0';

const envelope = () => ({ v: PROTOCOL_VERSION, id: newId() });

/** A fresh envelope (protocol version and message id) for a message built elsewhere. */
export const ackEnvelope = envelope;

export const toRef = (ref: JobRef): JobRef => ({ jobId: ref.jobId, attempt: ref.attempt });

export function helloMessage(fields: Omit<Hello, 'v' | 'id' | 'agentVersion'>): Hello {
  return { ...envelope(), agentVersion: AGENT_VERSION, ...fields, held: fields.held.map(toRef) };
}

export function heartbeatMessage(fields: Omit<Heartbeat, 'v' | 'id'>): Heartbeat {
  return { ...envelope(), ...fields, running: fields.running.map(toRef) };
}

/** Ack messages for the given jobs, at most `max` per message (the schema's limit). */
export function ackMessages(jobs: readonly JobRef[], max = 4096): Ack[] {
  const out: Ack[] = [];
  for (let i = 0; i < jobs.length; i += max)
    out.push({ ...envelope(), jobs: jobs.slice(i, i + max).map(toRef) });
  return out;
}

/** The Ack that gives back jobs the agent held waiting for a slot and will never start. */
export function returnMessage(jobs: readonly JobRef[]): Ack {
  return { ...envelope(), jobs: [], returned: jobs.map(toRef) };
}

/** The Ack that hands a job back: the agent's before-job hook refused it. */
export function refusalMessage(ref: JobRef, reason: string): Ack {
  return { ...envelope(), jobs: [], refused: [{ ...toRef(ref), reason: reason.slice(0, 1024) }] };
}

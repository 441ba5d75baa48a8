// An agent's ready window: jobs leased beyond its slots, only while its jobs run short and none of those
// it runs has been held long.
import { describe, expect, it } from 'vitest';
import {
  type AgentSession,
  type HeldLease,
  READY_HOLD_MS,
  READY_RUN_MS,
  Sessions,
} from '../../control-plane/dispatcher/sessions.ts';

function session(slots: number, ready?: number): AgentSession {
  return {
    agentId: 'a',
    sessionId: 's',
    name: 'a',
    labels: {},
    slots,
    ...(ready === undefined ? {} : { ready }),
    maintenance: false,
    membership: { groups: [], inDefaultGroup: true },
    leases: new Map(),
  };
}

function lease(s: AgentSession, id: string, fields: Partial<HeldLease> = {}): HeldLease {
  const held = { attempt: 1, slots: 1, executionId: 'e', taskRunId: id, taskId: 't', ...fields };
  s.leases.set(id, held);
  return held;
}

describe('the ready window', () => {
  const sessions = new Sessions();

  it('opens once the agent has finished as many short jobs in a row as it has slots', () => {
    const s = session(2, 2);
    expect(sessions.readyRoom(s)).toBe(0);
    sessions.noteRun(s, 1);
    expect(sessions.readyRoom(s)).toBe(0);
    sessions.noteRun(s, READY_RUN_MS - 1);
    expect(sessions.readyRoom(s)).toBe(2);
    // jobs it holds, young ones: the window stays open, beyond slots already full
    lease(s, 'j1', { sentAt: performance.now() });
    lease(s, 'j2', { sentAt: performance.now(), slots: 2 });
    expect(sessions.freeSlots(s)).toBe(-1);
    expect(sessions.readyRoom(s)).toBe(2);
  });

  it('closes on a job that ran long, until as many short ones in a row again', () => {
    const s = session(2, 2);
    sessions.noteRun(s, 0);
    sessions.noteRun(s, 0);
    sessions.noteRun(s, READY_RUN_MS);
    expect(sessions.readyRoom(s)).toBe(0);
    sessions.noteRun(s, 0);
    expect(sessions.readyRoom(s)).toBe(0);
    sessions.noteRun(s, 0);
    expect(sessions.readyRoom(s)).toBe(2);
  });

  it('closes while a job it still runs was sent long ago, or was kept across a reconnect', () => {
    const s = session(4, 4);
    for (let i = 0; i < 4; i++) sessions.noteRun(s, 0);
    const old = lease(s, 'old', { sentAt: performance.now() - READY_HOLD_MS - 1 });
    expect(sessions.readyRoom(s)).toBe(0);
    // its result has come: it no longer runs
    old.finished = true;
    expect(sessions.readyRoom(s)).toBe(4);
    lease(s, 'kept');
    expect(sessions.readyRoom(s)).toBe(0);
  });

  it('stays shut for an agent that holds nothing ready', () => {
    for (const s of [session(2), session(2, 0)]) {
      for (let i = 0; i < 5; i++) sessions.noteRun(s, 0);
      expect(sessions.readyRoom(s)).toBe(0);
    }
  });
});

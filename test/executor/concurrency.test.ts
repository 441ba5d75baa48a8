// A flow's concurrency limit, as the executor decides it: an execution takes a slot to start and gives it
// back when it ends; without a free slot it is QUEUED, CANCELLED or FAILED as the flow says.
import { describe, expect, it } from 'vitest';
import { simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const flow = (behavior?: string) => yaml`
  concurrency:
    limit: 2${behavior ? `\n    behavior: ${behavior}` : ''}
  tasks:
    - { id: a, type: ${LOG}, message: x }
`;

describe('flow concurrency', () => {
  it('starts an execution that finds a free slot, takes the slot, and gives it back when it ends', async () => {
    const r = await simulate(flow());
    expect(r.executionHistory).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
    expect(r.slotChanges).toEqual([
      { delta: 1, wakeQueued: false },
      { delta: -1, wakeQueued: true },
    ]);
  });

  it('queues an execution that finds no free slot, runs nothing, and starts it once woken with a slot free', async () => {
    let free = false;
    const r = await simulate(flow(), { slotFree: () => free });
    expect(r.execution.state).toBe('QUEUED');
    expect(r.count).toBe(0);
    expect(r.slotChanges).toEqual([]);
    await r.send({ type: 'wake' });
    expect(r.execution.state).toBe('QUEUED');
    expect(r.executionHistory).toEqual(['CREATED', 'QUEUED']);
    free = true;
    await r.send({ type: 'wake' });
    expect(r.executionHistory).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'SUCCESS']);
    // taking the slot wakes the next queued one too: another slot may be free for it
    expect(r.slotChanges).toEqual([
      { delta: 1, wakeQueued: true },
      { delta: -1, wakeQueued: true },
    ]);
  });

  it('cancels or fails at once an execution that finds no free slot, as the flow says', async () => {
    const cancelled = await simulate(flow('CANCEL'), { slotFree: () => false });
    expect(cancelled.executionHistory).toEqual(['CREATED', 'CANCELLED']);
    const failed = await simulate(flow('FAIL'), { slotFree: () => false });
    expect(failed.executionHistory).toEqual(['CREATED', 'FAILED']);
    expect(failed.execution.error?.message).toBe(
      'flow t.f has reached its concurrency limit of 2 running executions',
    );
    expect(failed.count + cancelled.count).toBe(0);
    expect([...failed.slotChanges, ...cancelled.slotChanges]).toEqual([]);
  });

  it('kills a queued execution without touching the slots, and wakes the next one in line', async () => {
    const r = await simulate(flow(), { slotFree: () => false });
    await r.send({ type: 'kill' });
    expect(r.executionHistory).toEqual(['CREATED', 'QUEUED', 'KILLING', 'KILLED']);
    expect(r.slotChanges).toEqual([{ delta: 0, wakeQueued: true }]);
  });

  it('keeps the slot of a paused execution until it ends', async () => {
    const r = await simulate(yaml`
      concurrency: { limit: 1 }
      tasks:
        - { id: wait, type: io.kestra.plugin.core.flow.Pause }
    `);
    expect(r.execution.state).toBe('PAUSED');
    expect(r.slotChanges).toEqual([{ delta: 1, wakeQueued: false }]);
    await r.send({ type: 'kill' });
    expect(r.slotChanges.at(-1)).toEqual({ delta: -1, wakeQueued: true });
  });

  it('passes a queued execution through RUNNING when it starts, even into a pause', async () => {
    let free = false;
    const r = await simulate(
      yaml`
        concurrency: { limit: 1 }
        tasks:
          - { id: wait, type: io.kestra.plugin.core.flow.Pause }
      `,
      { slotFree: () => free },
    );
    free = true;
    await r.send({ type: 'wake' });
    expect(r.executionHistory).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'PAUSED']);
  });

  it('restarts only with a free slot, and takes it', async () => {
    let free = true;
    const r = await simulate(flow(), {
      slotFree: () => free,
      outcome: (job) => ({ state: job.attempt === 1 ? 'FAILED' : 'SUCCESS' }),
    });
    expect(r.execution.state).toBe('FAILED');
    free = false;
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('FAILED');
    free = true;
    await r.send({ type: 'restart' });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.slotChanges.map((c) => c.delta)).toEqual([1, -1, 1, -1]);
  });

  it('leaves the slots alone for a flow without a limit', async () => {
    const r = await simulate(yaml`
      tasks:
        - { id: a, type: ${LOG}, message: x }
    `);
    expect(r.slotChanges).toEqual([]);
  });
});

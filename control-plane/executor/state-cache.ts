// Working copies of open executions, kept between decisions so that a decision reads only the task runs
// written since the previous one: a ForEach of 1,000 values then costs 1,000 small reads, not 1,000 reads
// of a growing list. A copy is taken out for a decision and put back only after that decision commits,
// so a rolled-back decision leaves nothing behind; the next one reads the execution afresh.
import type { ExecutionState } from './state.ts';

export interface KeptState {
  state: ExecutionState;
  /** what `ExecutionsStore.taskRunsSince` returned with the rows the state holds */
  watermark: number;
}

export class StateCache {
  private readonly entries = new Map<string, KeptState>();

  constructor(private readonly capacity = 500) {}

  /** Removes and returns the kept state of an execution, if any. */
  take(executionId: string): KeptState | undefined {
    const kept = this.entries.get(executionId);
    if (kept) this.entries.delete(executionId);
    return kept;
  }

  /** Keeps a state after its decision committed; the least recently kept one goes when full. */
  keep(executionId: string, kept: KeptState): void {
    this.entries.delete(executionId);
    this.entries.set(executionId, kept);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

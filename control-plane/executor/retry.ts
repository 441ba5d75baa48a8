// Retry policies, as Kestra applies them: which policy governs a failing runnable task (its own, else the
// nearest flowable parent's, else the flow's), and when its next attempt starts, if it gets one.
import { parseIsoDuration, type Retry, type TaskDef } from '../../protocol/flow/index.ts';
import type { Attempt, TaskRunRow } from '../repository/index.ts';
import { ancestorsOf } from './context.ts';
import type { FlowPlan } from './plan.ts';
import type { ExecutionState } from './state.ts';

/** A policy as written: `maxAttempts` is Kestra's current name of the older `maxAttempt`. */
export type RetryPolicy = Retry & { maxAttempts?: number };

export function retryPolicyOf(
  plan: FlowPlan,
  state: ExecutionState,
  run: TaskRunRow,
  task: TaskDef,
): RetryPolicy | undefined {
  if (task.retry) return task.retry;
  for (const parent of ancestorsOf(state, run)) {
    const retry = plan.tasks.get(parent.taskId)?.retry;
    if (retry) return retry;
  }
  return plan.flow.retry;
}

/** Whether the policy retries the task run in place (RETRY_FAILED_TASK, the default), not as a new execution. */
export function retriesInPlace(policy: RetryPolicy): boolean {
  return policy.behavior !== 'CREATE_NEW_EXECUTION';
}

const ms = (duration: string) => parseIsoDuration(duration) ?? 0;

/**
 * When the next attempt starts, given the attempts that ended (all of them, the failed last one
 * included); undefined when `maxAttempts` are used up or the next start would fall after the first
 * attempt's start plus `maxDuration`. Without either limit, attempts go on.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attempts: readonly Attempt[],
  now: Date,
  seed: string,
): Date | undefined {
  if (attempts.length === 0) return undefined;
  return nextRetryAt(
    policy,
    {
      count: attempts.length,
      firstStart: Date.parse(attempts[0]?.startDate ?? now.toISOString()),
      lastEnd: Date.parse(attempts.at(-1)?.endDate ?? now.toISOString()),
    },
    seed,
  );
}

/**
 * When attempt `count + 1` starts, `count` attempts having been made, the first started at
 * `firstStart` and the last ended at `lastEnd` (epoch ms); undefined when the policy allows no more.
 */
export function nextRetryAt(
  policy: RetryPolicy,
  { count, firstStart, lastEnd }: { count: number; firstStart: number; lastEnd: number },
  seed: string,
): Date | undefined {
  const max = policy.maxAttempts ?? policy.maxAttempt;
  if (max !== undefined && count >= max) return undefined;
  const next = lastEnd + delayMs(policy, count, seed);
  if (policy.maxDuration !== undefined && next > firstStart + ms(policy.maxDuration)) return undefined;
  return new Date(next);
}

/** The wait before attempt `count + 1`. */
export function delayMs(policy: RetryPolicy, count: number, seed: string): number {
  switch (policy.type) {
    case 'constant':
      return ms(policy.interval);
    case 'exponential': {
      const factor = policy.delayFactor ?? 2;
      return Math.min(ms(policy.interval) * factor ** (count - 1), ms(policy.maxInterval));
    }
    case 'random': {
      const min = ms(policy.minInterval);
      return min + Math.floor(unitHash(`${seed}:${count}`) * (ms(policy.maxInterval) - min));
    }
  }
}

/** A number in [0, 1) from a string (FNV-1a): a random delay that a replayed decision repeats exactly. */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 2 ** 32;
}

// What a user may do to an existing execution beyond kill and resume: restart it, replay it from a task
// run, change its labels. Each is checked and written in one transaction that holds the execution's lock;
// a refused one writes nothing.
import { RoostError } from '../../protocol/index.ts';
import type { ExecutionRow, Repository } from '../repository/index.ts';
import { EXECUTOR_TOPIC, type ExecutorMessage } from './events.ts';
import type { Executor } from './executor.ts';
import { type LabelEntry, labelsRefusal, parseLabelList, withLabels } from './labels.ts';
import { replayOf, replayRefusal } from './replay.ts';
import { restartRefusal } from './restart.ts';

export class ExecutionOperations {
  constructor(
    private readonly repository: Repository,
    private readonly executor: Executor,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Restarts a FAILED or KILLED execution; refused (ROOST_CONFLICT) in any other state. */
  restart(executionId: string): Promise<ExecutionRow> {
    return this.executor.decideNow(executionId, { type: 'restart' }, restartRefusal);
  }

  /** Creates and starts a new execution replaying an ended one from `taskRunId` (or from the start). */
  async replay(executionId: string, taskRunId?: string): Promise<ExecutionRow> {
    const { execution, messageId } = await this.repository.transaction(async (tx) => {
      const original = await this.locked(tx, executionId);
      const taskRuns = await tx.executions.taskRuns(executionId);
      const refusal = replayRefusal(original, taskRuns, taskRunId);
      if (refusal) throw new RoostError(refusal.code, refusal.message);
      const replay = replayOf(original, taskRuns, taskRunId, this.now());
      const inserted = await tx.executions.insert(replay.execution);
      await tx.executions.insertTaskRuns(replay.taskRuns);
      const message: ExecutorMessage = { executionId: inserted.id, event: { type: 'start' } };
      const id = await tx.queue.send(EXECUTOR_TOPIC, message as unknown as Record<string, unknown>, {
        key: inserted.id,
      });
      return { execution: inserted, messageId: id };
    });
    this.executor.handOver(messageId);
    return execution;
  }

  /** Adds or replaces labels of an ended execution (a list of `{key, value}`; no `system.` keys). */
  async setLabels(executionId: string, body: unknown): Promise<ExecutionRow> {
    const parsed = parseLabelList(body);
    if ('error' in parsed) throw new RoostError('ROOST_BAD_REQUEST', parsed.error);
    const labels: LabelEntry[] = parsed.labels;
    return this.repository.transaction(async (tx) => {
      const execution = await this.locked(tx, executionId);
      const refusal = labelsRefusal(execution);
      if (refusal) throw new RoostError('ROOST_CONFLICT', refusal);
      const merged = withLabels(execution.labels, labels);
      await tx.executions.update(executionId, { labels: merged });
      return { ...execution, labels: merged };
    });
  }

  private async locked(tx: Repository, executionId: string): Promise<ExecutionRow> {
    const execution = await tx.executions.lock(executionId);
    if (!execution) throw new RoostError('ROOST_NOT_FOUND', `execution ${executionId} does not exist`);
    return execution;
  }
}

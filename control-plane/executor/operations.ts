// What a user may do to an existing execution beyond kill and resume: restart it, replay it from a task
// run, change its labels. Each is checked and written in one transaction that holds the execution's lock.
import type { ExecutionRow, Repository } from '../repository/index.ts';
import type { Executor } from './executor.ts';
import { restartRefusal } from './restart.ts';

export class ExecutionOperations {
  constructor(
    private readonly repository: Repository,
    private readonly executor: Executor,
  ) {}

  /** Restarts a FAILED or KILLED execution; refused (ROOST_CONFLICT) in any other state. */
  restart(executionId: string): Promise<ExecutionRow> {
    return this.executor.decideNow(executionId, { type: 'restart' }, restartRefusal);
  }
}

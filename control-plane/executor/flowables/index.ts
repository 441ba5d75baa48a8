// Flowable tasks resolved by the executor, by canonical type: each says how its children run and when
// it is done. A handler runs on every pass over a task run that is not terminal.
import type { TaskDef } from '../../../protocol/flow/index.ts';
import type { TaskRunRow } from '../../repository/index.ts';
import type { ListStatus, Reconciler } from '../reconcile.ts';
import { IF, SWITCH } from './branches.ts';
import { DAG } from './dag.ts';
import { ALLOW_FAILURE, PARALLEL, SEQUENTIAL } from './lists.ts';
import { LOOP_UNTIL } from './loop-until.ts';
import { EACH_PARALLEL, EACH_SEQUENTIAL, FOR_EACH } from './loops.ts';
import { PAUSE } from './pause.ts';
import { SUBFLOW } from './subflow.ts';
import { WORKING_DIRECTORY } from './working-directory.ts';

export type FlowableHandler = (reconciler: Reconciler, run: TaskRunRow, task: TaskDef) => ListStatus;

const core = (name: string) => `io.kestra.plugin.core.flow.${name}`;

/** Handlers by canonical type name. */
export const FLOWABLES: Readonly<Record<string, FlowableHandler>> = {
  [core('Sequential')]: SEQUENTIAL,
  [core('Parallel')]: PARALLEL,
  [core('AllowFailure')]: ALLOW_FAILURE,
  [core('If')]: IF,
  [core('Switch')]: SWITCH,
  [core('ForEach')]: FOR_EACH,
  [core('EachSequential')]: EACH_SEQUENTIAL,
  [core('EachParallel')]: EACH_PARALLEL,
  [core('Dag')]: DAG,
  [core('Pause')]: PAUSE,
  [core('Subflow')]: SUBFLOW,
  [core('Flow')]: SUBFLOW,
  [core('LoopUntil')]: LOOP_UNTIL,
  [core('WorkingDirectory')]: WORKING_DIRECTORY,
};

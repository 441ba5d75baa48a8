// What the webserver needs from the rest of the control plane, as narrow functions.
import type { Duplex } from 'node:stream';
import type { ExecutionOperations, ExecutorEvent, NewExecutionRequest } from '../executor/index.ts';
import type { Logger } from '../logger.ts';
import type { ExecutionRow, Repository } from '../repository/index.ts';
import type { Storage } from '../storage/index.ts';
import type { InstallFiles } from './routes/install.ts';

export interface WebserverDeps {
  repository: Repository;
  logger: Logger;
  /** internal storage: FILE inputs, files tasks produce */
  storage: Storage;
  /** creates an execution and hands it to an executor */
  startExecution(request: NewExecutionRequest): Promise<ExecutionRow>;
  /** sends an event (kill, resume) to an execution's executor */
  signalExecution(executionId: string, event: ExecutorEvent): Promise<void>;
  /** restart, replay, labels of an execution */
  operations: Pick<ExecutionOperations, 'restart' | 'replay' | 'setLabels'>;
  /** why these resume inputs would be refused (empty when fine) */
  resumeErrors(executionId: string, inputs: Record<string, unknown>): Promise<string[]>;
  /** calls `listener` whenever the execution changes; returns a function that stops it */
  watchExecution(executionId: string, listener: () => void): () => void;
  /** whether `secret` is the credential of agent `agentId` (the broker asks the same), for routes agents call (`access: 'agent'`) */
  verifyAgent(agentId: string, secret: Buffer): boolean | Promise<boolean>;
  /** files the one-line installer downloads (install.sh, agent bundle, runtimes) */
  install?: InstallFiles;
  /** sets an agent's maintenance mode through the dispatcher in this process; false: no live session */
  setAgentMaintenance?: (agentId: string, enabled: boolean) => Promise<boolean>;
  /** serves MQTT over a WebSocket stream (when a broker runs in this process) */
  mqttStream?: (stream: Duplex) => void;
}

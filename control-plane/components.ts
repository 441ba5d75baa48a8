// Components that run in every server but do little yet: the scheduler (triggers come later) and the
// indexer (log ingestion is done inline by the dispatcher for now). Both record their heartbeat so that
// a scale-out deployment can see which replicas are alive.
import { hostname } from 'node:os';
import { newId } from '../protocol/index.ts';
import type { Logger } from './logger.ts';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class PlaceholderComponent implements Component {
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  readonly instanceId = newId();

  constructor(
    readonly name: string,
    private readonly logger: Logger,
    private readonly description: string,
  ) {}

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.logger.debug(
      { instanceId: this.instanceId, hostname: hostname() },
      `${this.name} started: ${this.description}`,
    );
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
  }
}

// Consumes one topic of the Postgres queue: woken by NOTIFY from other processes, or handed a message
// in memory by a component of the same process right after its commit. A long safety-net poll catches
// anything missed; a timer waits for delayed messages. Each message is handled in its own transaction.
import { EventEmitter } from 'node:events';
import type { Connection, QueueRow, Repository, Unlisten } from '../repository/index.ts';
import { parseQueueNotice, QUEUE_CHANNEL } from '../repository/index.ts';

export interface QueueConsumerOptions<T> {
  topic: string;
  repository: Repository;
  connection: Pick<Connection, 'listen'>;
  /** handles one claimed message inside the transaction that claimed it */
  handle: (tx: Repository, message: QueueRow) => Promise<T>;
  /** called after the commit, with what `handle` returned */
  afterCommit?: (result: T) => void;
  onError: (error: unknown, messageId?: number) => void;
  now?: () => Date;
  /** the safety-net poll interval (default 30 s) */
  pollIntervalMs?: number;
}

type ConsumerState = 'idle' | 'running' | 'stopping' | 'stopped';

/** Payload field counting how often a message's handler failed. */
const FAILURES_KEY = 'roostFailures';
const MAX_FAILURES = 8;

export class QueueConsumer<T> extends EventEmitter {
  private state: ConsumerState = 'idle';
  private unlisten: Unlisten | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private delayTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  /** ids handed over in memory, so their NOTIFY does not start a redundant drain */
  private readonly handedOver = new Set<number>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: QueueConsumerOptions<T>) {
    super();
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.unlisten = await this.options.connection.listen(QUEUE_CHANNEL, (payload) => {
      const notice = parseQueueNotice(payload);
      if (notice.topic !== this.options.topic) return;
      if (this.handedOver.delete(notice.id)) return;
      this.wake();
    });
    const poll = this.options.pollIntervalMs ?? 30_000;
    this.pollTimer = setInterval(() => this.wake(), poll);
    this.pollTimer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    clearInterval(this.pollTimer);
    clearTimeout(this.delayTimer);
    await this.unlisten?.();
    await this.draining;
    await Promise.allSettled([...this.inFlight]);
    this.state = 'stopped';
  }

  /** Handles a message this process just committed, without waiting for NOTIFY or a poll. */
  handOver(id: number): void {
    if (this.state !== 'running') return;
    this.handedOver.add(id);
    if (this.handedOver.size > 10_000) this.handedOver.clear();
    this.track(this.processOne((tx) => tx.queue.claimById(id), id));
  }

  /** Drains the topic now (a NOTIFY or a poll arrived). */
  wake(): void {
    if (this.state !== 'running') return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.drainAgain) {
        this.drainAgain = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    const now = this.options.now ?? (() => new Date());
    while (this.state === 'running') {
      const handled = await this.processOne((tx) => tx.queue.claimNext(this.options.topic, now()));
      if (!handled) break;
    }
    await this.scheduleDelayed(now);
  }

  private async scheduleDelayed(now: () => Date): Promise<void> {
    if (this.state !== 'running') return;
    try {
      const next = await this.options.repository.queue.nextAvailableAt(this.options.topic);
      clearTimeout(this.delayTimer);
      if (!next) return;
      const wait = Math.max(0, next.getTime() - now().getTime());
      this.delayTimer = setTimeout(() => this.wake(), Math.min(wait, 2 ** 31 - 1));
      this.delayTimer.unref();
    } catch (error) {
      this.options.onError(error);
    }
  }

  /** Claims and handles one message; false when there was none to claim. */
  private async processOne(
    claim: (tx: Repository) => Promise<QueueRow | undefined>,
    id?: number,
  ): Promise<boolean> {
    try {
      const outcome = await this.options.repository.transaction(async (tx) => {
        const message = await claim(tx);
        if (!message) return undefined;
        try {
          // a savepoint: a failing handler leaves the claim usable, so the message can be put back
          return { result: await tx.transaction((inner) => this.options.handle(inner, message)) };
        } catch (error) {
          await this.putBack(tx, message);
          return { failed: error, id: message.id };
        }
      });
      if (!outcome) return false;
      if ('result' in outcome) this.options.afterCommit?.(outcome.result as T);
      else this.options.onError(outcome.failed, outcome.id);
      return true;
    } catch (error) {
      this.options.onError(error, id);
      return false;
    }
  }

  /**
   * Puts a message whose handler failed back in the queue after a growing delay (1 s, 2 s, 4 s, ...), and
   * after MAX_FAILURES into the topic's dead-letter topic, so one bad message never spins the consumer.
   */
  private async putBack(tx: Repository, message: QueueRow): Promise<void> {
    const failures = Number(message.payload[FAILURES_KEY] ?? 0) + 1;
    const payload = { ...message.payload, [FAILURES_KEY]: failures };
    const key = message.key === null ? {} : { key: message.key };
    if (failures >= MAX_FAILURES) {
      await tx.queue.send(`${this.options.topic}.dead`, payload, key);
      return;
    }
    const now = (this.options.now ?? (() => new Date()))();
    await tx.queue.send(this.options.topic, payload, {
      ...key,
      availableAt: new Date(now.getTime() + 1000 * 2 ** (failures - 1)),
    });
  }

  private track(work: Promise<unknown>) {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

// The agent's slots: jobs wait in arrival order until enough slots are free for their weight.

export interface SlotClaim<T> {
  item: T;
  weight: number;
}

/**
 * First come, first served: a heavy job at the head waits for its slots and lighter ones behind it
 * wait too, so a heavy job is never starved.
 */
export class SlotQueue<T> {
  readonly total: number;
  readonly #waiting: SlotClaim<T>[] = [];
  readonly #start: (item: T) => void;
  #inUse = 0;
  #paused = false;

  /** `start` is called (synchronously) for each item as soon as its slots are taken. */
  constructor(total: number, start: (item: T) => void) {
    if (!Number.isInteger(total) || total < 1)
      throw new RangeError(`slots must be a positive integer, not ${total}`);
    this.total = total;
    this.#start = start;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): T[] {
    return this.#waiting.map((claim) => claim.item);
  }

  /** Queues an item; it must weigh between 1 and `total`. */
  enqueue(item: T, weight: number): void {
    if (!Number.isInteger(weight) || weight < 1 || weight > this.total) {
      throw new RangeError(`a job of ${weight} slots cannot run on ${this.total} slots`);
    }
    this.#waiting.push({ item, weight });
    this.#startWhatFits();
  }

  /** Gives back the slots of an item that ended. */
  release(weight: number): void {
    this.#inUse = Math.max(0, this.#inUse - weight);
    this.#startWhatFits();
  }

  /** Takes a waiting item out of the queue; undefined when none matches. */
  remove(match: (item: T) => boolean): T | undefined {
    const index = this.#waiting.findIndex((claim) => match(claim.item));
    if (index < 0) return undefined;
    const [claim] = this.#waiting.splice(index, 1);
    this.#startWhatFits();
    return claim?.item;
  }

  /** Stops starting waiting items (they stay queued). */
  pause(): void {
    this.#paused = true;
  }

  #startWhatFits(): void {
    while (!this.#paused) {
      const head = this.#waiting[0];
      if (!head || this.#inUse + head.weight > this.total) return;
      this.#waiting.shift();
      this.#inUse += head.weight;
      this.#start(head.item);
    }
  }
}

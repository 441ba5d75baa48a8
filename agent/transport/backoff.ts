// Reconnect schedule: exponential backoff with full jitter, reset once a connection has proven stable,
// and a wider random spread for the first redial after a stable connection drops: that is what a
// control plane restart looks like, and every agent of the fleet lost its connection at once.

export interface BackoffPolicy {
  /** delay ceiling of the first retry */
  baseMs: number;
  /** no delay is ever longer than this */
  capMs: number;
  /** a connection that lasted this long resets the schedule */
  stableAfterMs: number;
  /** the first redial after a stable connection dropped waits a uniform [0, spreadMs) (default: baseMs) */
  spreadMs?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 250,
  capMs: 30_000,
  stableAfterMs: 10_000,
  spreadMs: 3_000,
};

/** The ceiling for retry number `attempt` (0-based): base * 2^attempt, never above the cap. */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 52);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform delay in
 * [0, ceiling). `random` returns values in [0, 1), like Math.random.
 */
export function reconnectDelayMs(
  attempt: number,
  random: () => number = Math.random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeilingMs(attempt, policy));
}

/**
 * The attempt number to use after a connection closed: back to 0 when it had stayed up for
 * `stableAfterMs`, otherwise unchanged (failed attempts are counted by the caller).
 */
export function attemptAfterClose(
  attempt: number,
  connectedForMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return connectedForMs !== undefined && connectedForMs >= policy.stableAfterMs ? 0 : attempt;
}

/** The first redial after a stable connection dropped: uniform in [0, spreadMs), never above the cap. */
export function spreadDelayMs(
  random: () => number = Math.random,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * Math.min(policy.capMs, Math.max(policy.spreadMs ?? 0, policy.baseMs)));
}

/** Holds the retry count between attempts; all timing comes from the pure functions above. */
export class ReconnectSchedule {
  #attempt = 0;
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Call when a connection closes; returns how long to wait before dialling again. */
  nextDelayMs(connectedForMs: number | undefined): number {
    this.#attempt = attemptAfterClose(this.#attempt, connectedForMs, this.#policy);
    const stableDropped = this.#attempt === 0 && connectedForMs !== undefined;
    const delay = stableDropped
      ? spreadDelayMs(this.#random, this.#policy)
      : reconnectDelayMs(this.#attempt, this.#random, this.#policy);
    this.#attempt++;
    return delay;
  }
}

import { describe, expect, it } from 'vitest';
import {
  attemptAfterClose,
  backoffCeilingMs,
  DEFAULT_BACKOFF,
  ReconnectSchedule,
  reconnectDelayMs,
  spreadDelayMs,
} from './backoff.ts';

describe('reconnect backoff', () => {
  it('doubles the ceiling from 250 ms on each attempt and stops at 30 s', () => {
    const ceilings = Array.from({ length: 10 }, (_, i) => backoffCeilingMs(i));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoffCeilingMs(10_000)).toBe(30_000);
  });

  it('draws a full-jitter delay anywhere between zero and the ceiling', () => {
    expect(reconnectDelayMs(3, () => 0)).toBe(0);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(1000);
    expect(reconnectDelayMs(3, () => 0.999_999)).toBe(1999);
    expect(reconnectDelayMs(40, () => 0.999_999)).toBeLessThan(DEFAULT_BACKOFF.capMs);
  });

  it('never returns a delay outside [0, ceiling) even for a misbehaving random source', () => {
    expect(reconnectDelayMs(0, () => -1)).toBe(0);
    expect(reconnectDelayMs(0, () => 7)).toBe(250);
    expect(reconnectDelayMs(-3, () => 0.5)).toBe(125);
  });

  it('resets the attempt count only after a connection that stayed up long enough', () => {
    expect(attemptAfterClose(6, undefined)).toBe(6);
    expect(attemptAfterClose(6, DEFAULT_BACKOFF.stableAfterMs - 1)).toBe(6);
    expect(attemptAfterClose(6, DEFAULT_BACKOFF.stableAfterMs)).toBe(0);
  });

  it('grows the delays of a schedule while dials fail and starts over after a stable session', () => {
    const schedule = new ReconnectSchedule(DEFAULT_BACKOFF, () => 0.5);
    const failing = [
      schedule.nextDelayMs(undefined),
      schedule.nextDelayMs(undefined),
      schedule.nextDelayMs(100),
    ];
    expect(failing).toEqual([125, 250, 500]);
    // a stable session dropped: the first redial is spread over spreadMs (3 s), then backoff again
    expect(schedule.nextDelayMs(60_000)).toBe(1500);
    expect(schedule.attempt).toBe(1);
    expect(schedule.nextDelayMs(undefined)).toBe(250);
  });

  it('spreads the first redial after a mass disconnect over spreadMs, never above the cap', () => {
    expect(spreadDelayMs(() => 0)).toBe(0);
    expect(spreadDelayMs(() => 0.999_999)).toBe(2999);
    expect(spreadDelayMs(() => 0.5, { baseMs: 100, capMs: 1_000, stableAfterMs: 1, spreadMs: 60_000 })).toBe(
      500,
    );
    expect(spreadDelayMs(() => 0.5, { baseMs: 100, capMs: 1_000, stableAfterMs: 1 })).toBe(50);
    // a thousand agents that lost the control plane at once redial across the window, not together
    const delays = Array.from({ length: 1000 }, (_, i) => spreadDelayMs(() => i / 1000));
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(2900);
  });
});

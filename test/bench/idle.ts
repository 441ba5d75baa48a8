// The `agent-idle` scenario (agents issue): one connected agent left idle for a window; its memory
// (VmRSS at both ends, peak VmHWM, from /proc/PID/status) and its CPU over the window (ticks from
// /proc/PID/stat, as % of one core); the control plane's CPU over the same window for scale.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchAgent } from './harness.ts';
import { cpuTimeMs, type RoostChild } from './processes.ts';
import { table } from './report.ts';

export interface IdleResult {
  scenario: string;
  windowMs: number;
  /** VmRSS when the window opened and when it closed, MiB */
  rssStartMiB: number;
  rssEndMiB: number;
  /** VmHWM (peak RSS since the process started, start-up included), MiB */
  peakRssMiB: number;
  /** agent CPU (user + system) over the window, % of one core */
  agentCpuPercent: number;
  /** control-plane CPU over the same window, % of one core (it had one idle agent connected) */
  controlPlaneCpuPercent: number;
}

/** A `VmXXX:  1234 kB` line of /proc/PID/status, in MiB. */
function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(match[1]) / 1024;
}

function cpuOf(child: RoostChild): number {
  const ms = cpuTimeMs(child.pid);
  if (ms === undefined) throw new Error(`${child.name} (pid ${child.pid}) is gone`);
  return ms;
}

/** Measures an agent that has just been welcomed and is given no work for `windowMs`. */
export async function measureIdle(
  scenario: string,
  agent: BenchAgent,
  server: RoostChild,
  windowMs: number,
  signal: AbortSignal,
): Promise<IdleResult> {
  const pid = agent.child.pid;
  const rssStartMiB = memoryMiB(pid, 'VmRSS');
  const agentBefore = cpuOf(agent.child);
  const serverBefore = cpuOf(server);
  const openedAt = performance.now();
  // the window itself is what is measured: a plain wait, nothing waits on it to become ready
  await sleep(windowMs, undefined, { signal });
  const elapsed = performance.now() - openedAt;
  const result: IdleResult = {
    scenario,
    windowMs: Math.round(elapsed),
    rssStartMiB,
    rssEndMiB: memoryMiB(pid, 'VmRSS'),
    peakRssMiB: memoryMiB(pid, 'VmHWM'),
    agentCpuPercent: ((cpuOf(agent.child) - agentBefore) / elapsed) * 100,
    controlPlaneCpuPercent: ((cpuOf(server) - serverBefore) / elapsed) * 100,
  };
  if (!agent.child.running) throw new Error(`${agent.child.name} exited during the idle window`);
  return result;
}

export function formatIdle(results: IdleResult[]): string {
  const f = (v: number) => v.toFixed(1);
  return table(
    ['scenario', 'window s', 'RSS MiB start/end', 'peak RSS MiB', 'agent CPU %', 'control plane CPU %'],
    results.map((r) => [
      r.scenario,
      (r.windowMs / 1000).toFixed(1),
      `${f(r.rssStartMiB)} / ${f(r.rssEndMiB)}`,
      f(r.peakRssMiB),
      r.agentCpuPercent.toFixed(2),
      r.controlPlaneCpuPercent.toFixed(2),
    ]),
  );
}

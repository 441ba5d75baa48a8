// What the dispatcher does with each message an agent sends: hello, heartbeat, ack, logs, result, status.
import type { Ack, Heartbeat, Hello, JobRef, Logs, Result, Status, UpMessage } from '../../protocol/index.ts';
import { credentialStored } from './agent-admin.ts';
import type { Dispatcher } from './dispatcher.ts';
import { ResultIntake } from './results.ts';

export class AgentMessages {
  private readonly results: ResultIntake;

  constructor(private readonly d: Dispatcher) {
    this.results = new ResultIntake(d);
  }

  async handle<K extends keyof UpMessage>(agentId: string, kind: K, message: UpMessage[K]): Promise<void> {
    switch (kind) {
      case 'hello':
        return this.hello(agentId, message as Hello);
      case 'heartbeat':
        return this.heartbeat(agentId, message as Heartbeat);
      case 'ack':
        return this.ack(agentId, message as Ack);
      case 'logs':
        return this.logs(agentId, message as Logs);
      case 'result':
        return this.results.add(agentId, message as Result);
      case 'status':
        return this.status(agentId, message as Status);
      case 'credential':
        return credentialStored(this.d, agentId);
    }
  }

  private async hello(agentId: string, hello: Hello): Promise<void> {
    const d = this.d;
    const envelope = d.envelope();
    if (!d.accepts(hello)) {
      d.logger.warn({ agentId, v: hello.v }, 'agent refused: protocol version not supported');
      d.publish(agentId, 'control', {
        ...envelope,
        kind: 'rejected',
        sessionId: hello.sessionId,
        protocol: d.protocolRange,
        reason: `protocol version ${hello.v} is outside the supported range ${d.protocolRange.min}..${d.protocolRange.max}`,
      });
      return;
    }
    const versionRefused = d.refusesVersion(hello.agentVersion);
    if (versionRefused) {
      d.logger.warn({ agentId, agentVersion: hello.agentVersion }, 'agent refused: version not accepted');
      d.publish(agentId, 'control', {
        ...envelope,
        kind: 'rejected',
        sessionId: hello.sessionId,
        protocol: d.protocolRange,
        reason: versionRefused,
        ...d.advertisedVersions(),
      });
      return;
    }
    if (d.sessions.isSuperseded(hello.sessionId)) {
      d.publish(agentId, 'control', { ...envelope, kind: 'superseded', sessionId: hello.sessionId });
      return;
    }
    const now = d.now();
    const refKey = (jobId: string, attempt: number) => `${jobId}:${attempt}`;
    const held = new Set(hello.held.map((r) => refKey(r.jobId, r.attempt)));
    const { keep, drop, agent } = await d.repository.transaction(async (tx) => {
      await tx.agents.upsertOnline({
        id: agentId,
        name: hello.name,
        labels: hello.labels,
        slots: hello.slots,
        sessionId: hello.sessionId,
        agentVersion: hello.agentVersion,
        maintenance: hello.maintenance,
        now,
      });
      const keep = [];
      for (const job of await tx.jobs.leasedBy(agentId)) {
        if (held.has(refKey(job.id, job.attempt))) {
          keep.push(job);
        } else {
          // leased to this agent but not in its inbox (lost in transit, or its buffer was wiped): the
          // attempt ends, saying so, and the job is queued again as the next one
          await tx.executions.endLastAttempt(job.taskRunId, {
            state: 'FAILED',
            endDate: now.toISOString(),
            error: {
              message: `agent ${hello.name} (${agentId}) did not hold the job when it connected again (lost on the way, or its buffer was lost)`,
              code: 'ROOST_AGENT_LOST',
            },
          });
          await tx.jobs.requeue(job.id, { attempt: job.attempt + 1, agentLost: job.agentLost });
          d.queued.add(job.workerGroup, job.slots);
        }
      }
      const until = new Date(now.getTime() + d.leaseMs);
      await tx.jobs.renew(
        agentId,
        keep.map((j) => ({ jobId: j.id, attempt: j.attempt })),
        until,
      );
      const kept = new Set(keep.map((j) => refKey(j.id, j.attempt)));
      // an enrolled agent keeps the labels it was granted, whatever its hello says
      const agent = await tx.agents.get(agentId);
      return { keep, drop: hello.held.filter((r) => !kept.has(refKey(r.jobId, r.attempt))), agent };
    });
    const labels = agent?.credentialHash ? agent.labels : hello.labels;
    const session = {
      agentId,
      sessionId: hello.sessionId,
      name: hello.name,
      labels,
      slots: hello.slots,
      ...(hello.prefetch ? { prefetch: hello.prefetch } : {}),
      ...(hello.ready ? { ready: hello.ready } : {}),
      maintenance: hello.maintenance,
      adminMaintenance: agent?.adminMaintenance ?? false,
      membership: d.membership(labels),
      leases: new Map(
        keep.map((j) => [
          j.id,
          {
            attempt: j.attempt,
            slots: j.slots,
            executionId: j.executionId,
            taskRunId: j.taskRunId,
            taskId: String(j.payload.task.id),
          },
        ]),
      ),
    };
    const replaced = d.sessions.open(session);
    if (replaced) {
      d.logger.warn(
        { agentId, old: replaced.sessionId, new: hello.sessionId },
        'a newer session of the agent replaced the older',
      );
      d.publish(agentId, 'control', { ...d.envelope(), kind: 'superseded', sessionId: replaced.sessionId });
    }
    d.publish(agentId, 'control', {
      ...envelope,
      kind: 'welcome',
      sessionId: hello.sessionId,
      protocol: d.protocolRange,
      leaseMs: d.leaseMs,
      heartbeatIntervalMs: d.heartbeatIntervalMs,
      drop,
      ...d.advertisedVersions(),
    });
    d.logger.info({ agentId, name: hello.name, labels, slots: hello.slots }, 'agent online');
    d.queued.addMembership(session.membership);
    d.dispatchSoon();
  }

  private async heartbeat(agentId: string, beat: Heartbeat): Promise<void> {
    const d = this.d;
    const session = d.sessions.get(agentId);
    if (!session || session.sessionId !== beat.sessionId) return;
    if (session.maintenance !== beat.maintenance) {
      // set before anything awaits: a result that follows this heartbeat must not lease new work
      session.maintenance = beat.maintenance;
      await d.repository.agents.setMaintenance(agentId, beat.maintenance);
      d.logger.info({ agentId, maintenance: beat.maintenance }, 'agent maintenance mode changed');
      if (!beat.maintenance) session.silent = true; // wakes dispatch just below
    }
    if (session.silent) {
      session.silent = false;
      d.queued.addMembership(session.membership);
      d.dispatchSoon();
    }
    const until = new Date(d.now().getTime() + d.leaseMs);
    const held = await d.repository.jobs.renew(agentId, beat.running, until);
    const drop = beat.running.filter((r) => !held.some((h) => h.id === r.jobId && h.attempt === r.attempt));
    const bundle = d.advertisedVersions().bundle;
    d.publish(agentId, 'control', {
      ...d.envelope(),
      kind: 'heartbeatAck',
      drop,
      ...(bundle ? { bundle } : {}),
    });
  }

  /**
   * Receipt is informative: the lease, renewed by heartbeats, is what keeps a job with its agent. A
   * refused job (the agent's before-job hook said no) ends its attempt and is queued again as the next
   * attempt, for another agent: this one is never offered it again.
   */
  private async ack(agentId: string, ack: Ack): Promise<void> {
    if (ack.returned?.length) await this.takeBack(agentId, ack.returned);
    const refused = ack.refused ?? [];
    if (!refused.length) return;
    const d = this.d;
    const session = d.sessions.get(agentId);
    const now = d.now();
    await d.repository.transaction(async (tx) => {
      for (const job of await tx.jobs.leasedBy(agentId)) {
        const refusal = refused.find((r) => r.jobId === job.id && r.attempt === job.attempt);
        if (!refusal) continue;
        const error = {
          message: `agent ${session?.name ?? agentId} refused the job: ${refusal.reason}`,
          code: 'ROOST_JOB_REFUSED',
        };
        await tx.executions.endLastAttempt(job.taskRunId, {
          state: 'FAILED',
          endDate: now.toISOString(),
          error,
        });
        await tx.jobs.requeue(job.id, { attempt: job.attempt + 1, agentLost: job.agentLost });
        d.queued.add(job.workerGroup, job.slots);
        if (session) {
          session.leases.delete(job.id);
          session.refused ??= new Set();
          session.refused.add(job.id);
        }
        d.logger.info({ agentId, jobId: job.id, reason: refusal.reason }, 'agent refused a job');
      }
    });
    d.dispatchSoon();
  }

  /**
   * Jobs the agent held waiting for a slot and gave back, never started (held ready behind jobs that
   * turned out long): queued again as the same attempt, for whichever agent has room first.
   */
  private async takeBack(agentId: string, refs: JobRef[]): Promise<void> {
    const d = this.d;
    const taken = await d.repository.transaction(async (tx) => {
      const jobs = [];
      for (const ref of refs) {
        const job = await tx.jobs.giveBack(ref.jobId, ref.attempt, agentId);
        if (job) jobs.push(job);
      }
      return jobs;
    });
    const session = d.sessions.get(agentId);
    for (const job of taken) {
      if (session?.leases.get(job.id)?.attempt === job.attempt) session.leases.delete(job.id);
      d.queued.add(job.workerGroup, job.slots);
    }
    if (!taken.length) return;
    d.logger.info({ agentId, jobs: taken.length }, 'agent gave back jobs that waited for a slot');
    d.dispatchSoon();
  }

  /** Stores a log chunk once, if the agent holds (or held) that job's attempt. */
  private async logs(agentId: string, chunk: Logs): Promise<void> {
    const d = this.d;
    const lease = await this.leaseOf(agentId, chunk);
    if (!lease) {
      d.logger.warn(
        { agentId, jobId: chunk.jobId, attempt: chunk.attempt },
        'log chunk for a job the agent does not hold dropped',
      );
      return;
    }
    await d.repository.logs.insert(
      chunk.lines.map((line, index) => ({
        executionId: lease.executionId,
        taskRunId: lease.taskRunId,
        taskId: lease.taskId,
        attempt: chunk.attempt,
        jobId: chunk.jobId,
        seq: chunk.seq,
        line: index,
        level: line.level,
        message: line.message,
        ts: new Date(line.ts),
      })),
    );
    d.publish(agentId, 'control', {
      ...d.envelope(),
      kind: 'logsAck',
      jobId: chunk.jobId,
      attempt: chunk.attempt,
      seq: chunk.seq,
    });
  }

  private async leaseOf(agentId: string, ref: JobRef) {
    const held = this.d.sessions.get(agentId)?.leases.get(ref.jobId);
    if (held && held.attempt === ref.attempt) return held;
    const job = await this.d.repository.jobs.get(ref.jobId);
    if (!job || job.attempt !== ref.attempt || job.agentId !== agentId) return undefined;
    return { executionId: job.executionId, taskRunId: job.taskRunId, taskId: String(job.payload.task.id) };
  }

  private async status(agentId: string, status: Status): Promise<void> {
    const d = this.d;
    if (status.online) return;
    const session = d.sessions.close(agentId, status.sessionId);
    if (!session) return;
    await d.repository.agents.markOffline(agentId, status.sessionId, d.now());
    d.logger.warn({ agentId }, 'agent offline (connection lost)');
    await d.releaseAgent(agentId, `agent ${session.name} (${agentId}) went offline`);
  }
}

// Schemas of every message between agents and the control plane; the TypeScript types derive from them.
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });
const Labels = Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 256 }), {
  maxProperties: 64,
});
const Envelope = {
  /** protocol version of the sender */
  v: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** message id, unique per sender */
  id: Id,
};

export const JobRef = Type.Object({ jobId: Id, attempt: Type.Integer({ minimum: 1 }) });
export type JobRef = Static<typeof JobRef>;

export const ProtocolRange = Type.Object({
  min: Type.Integer({ minimum: 1 }),
  max: Type.Integer({ minimum: 1 }),
});

export const LogLevel = Type.Union([
  Type.Literal('TRACE'),
  Type.Literal('DEBUG'),
  Type.Literal('INFO'),
  Type.Literal('WARN'),
  Type.Literal('ERROR'),
]);
export type LogLevel = Static<typeof LogLevel>;

// ---- up: agent to control plane ----

export const Hello = Type.Object({
  ...Envelope,
  agentId: Id,
  sessionId: Id,
  name: Type.String({ maxLength: 256 }),
  agentVersion: Type.String({ maxLength: 64 }),
  labels: Labels,
  slots: Type.Integer({ minimum: 1, maximum: 4096 }),
  maintenance: Type.Boolean(),
  /** offline-capable jobs (in slots) it may hold beyond its slots, to run if cut off (default 0) */
  prefetch: Type.Optional(Type.Integer({ minimum: 0, maximum: 4096 })),
  /**
   * slots of jobs it may hold ready beyond its slots, to start the moment a slot frees; the control plane
   * fills them only while the agent's jobs run short (default 0)
   */
  ready: Type.Optional(Type.Integer({ minimum: 0, maximum: 4096 })),
  /** jobs in the agent's inbox that it still holds (after a restart or a reconnect) */
  held: Type.Array(JobRef, { maxItems: 4096 }),
});
export type Hello = Static<typeof Hello>;

export const Heartbeat = Type.Object({
  ...Envelope,
  sessionId: Id,
  running: Type.Array(JobRef, { maxItems: 4096 }),
  freeSlots: Type.Integer({ minimum: 0, maximum: 4096 }),
  maintenance: Type.Boolean(),
});
export type Heartbeat = Static<typeof Heartbeat>;

/**
 * The agent has stored `jobs` in its inbox; it refused `refused` (its before-job hook said no): the
 * control plane gives those to another agent.
 */
export const Ack = Type.Object({
  ...Envelope,
  jobs: Type.Array(JobRef, { maxItems: 4096 }),
  refused: Type.Optional(
    Type.Array(Type.Object({ ...JobRef.properties, reason: Type.String({ maxLength: 1024 }) }), {
      maxItems: 4096,
    }),
  ),
  /**
   * jobs it held waiting for a slot and gives back, never started (it removed them first): the control
   * plane queues them again as the same attempt
   */
  returned: Type.Optional(Type.Array(JobRef, { maxItems: 4096 })),
});
export type Ack = Static<typeof Ack>;

export const LogLine = Type.Object({
  ts: Timestamp,
  level: LogLevel,
  message: Type.String({ maxLength: 65_536 }),
});
export type LogLine = Static<typeof LogLine>;

/** One numbered chunk of a job attempt's log; (jobId, attempt, seq) identifies it, so replays store once. */
export const Logs = Type.Object({
  ...Envelope,
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  seq: Type.Integer({ minimum: 0 }),
  lines: Type.Array(LogLine, { minItems: 1, maxItems: 1000 }),
});
export type Logs = Static<typeof Logs>;

export const ResultError = Type.Object({
  message: Type.String({ maxLength: 8192 }),
  code: Type.Optional(Type.String({ maxLength: 64 })),
});

export const Result = Type.Object({
  ...Envelope,
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  state: Type.Union([
    Type.Literal('SUCCESS'),
    Type.Literal('WARNING'),
    Type.Literal('FAILED'),
    Type.Literal('KILLED'),
  ]),
  outputs: Type.Record(Type.String({ maxLength: 256 }), Type.Unknown()),
  error: Type.Optional(ResultError),
  startedAt: Timestamp,
  endedAt: Timestamp,
  /** how many log chunks this attempt produced (seq 0..logChunks-1) */
  logChunks: Type.Integer({ minimum: 0 }),
});
export type Result = Static<typeof Result>;

/** The agent has stored the credential a Credential message gave it; the old one may now be dropped. */
export const CredentialAck = Type.Object({ ...Envelope, credentialId: Id });
export type CredentialAck = Static<typeof CredentialAck>;

/** Published by the agent when it connects (online) and set as its last will (offline). */
export const Status = Type.Object({ ...Envelope, sessionId: Id, online: Type.Boolean() });
export type Status = Static<typeof Status>;

// ---- down: control plane to agent ----

export const Job = Type.Object({
  ...Envelope,
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  leaseMs: Type.Integer({ minimum: 1 }),
  executionId: Id,
  taskRunId: Id,
  slots: Type.Integer({ minimum: 1 }),
  offline: Type.Boolean(),
  /** the task definition as written in the flow (plugin defaults applied), expressions unrendered */
  task: Type.Record(Type.String(), Type.Unknown()),
  /** the variables the task's expressions are rendered with (flow, execution, inputs, outputs, ...) */
  context: Type.Record(Type.String(), Type.Unknown()),
  /**
   * a child of a WorkingDirectory: run in the directory shared by the task runs of WorkingDirectory
   * task run `id` (kept between jobs), and remove it once `last` (its last child) succeeds. The
   * WorkingDirectory's `inputFiles` (unrendered) are written when the directory is made; its
   * `outputFiles` (on the last child's job) are uploaded after that child succeeds, and reported in the
   * child's outputs under DIRECTORY_OUTPUTS, which the control plane moves to the WorkingDirectory
   */
  workingDirectory: Type.Optional(
    Type.Object({
      id: Id,
      last: Type.Boolean(),
      inputFiles: Type.Optional(Type.Unknown()),
      outputFiles: Type.Optional(Type.Unknown()),
    }),
  ),
});
export type Job = Static<typeof Job>;

/** An agent bundle: its version and the SHA-256 of its tarball. */
export const AgentBundle = Type.Object({
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$', maxLength: 32 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
export type AgentBundle = Static<typeof AgentBundle>;

/** The key of a WorkingDirectory's own outputs (`outputFiles`) in its last child's result. */
export const DIRECTORY_OUTPUTS = '$workingDirectory';

export const Welcome = Type.Object({
  ...Envelope,
  kind: Type.Literal('welcome'),
  sessionId: Id,
  protocol: ProtocolRange,
  leaseMs: Type.Integer({ minimum: 1 }),
  heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
  /** held jobs whose lease this agent no longer has: stop them and forget them */
  drop: Type.Array(JobRef),
  /** the agent versions this control plane accepts, `MIN..MAX` (either end may be open) */
  agentVersions: Type.Optional(Type.String({ maxLength: 64 })),
  /** the agent bundle this control plane serves (GET /install/agent.tar.gz), for upgrades */
  bundle: Type.Optional(AgentBundle),
});
export const Rejected = Type.Object({
  ...Envelope,
  kind: Type.Literal('rejected'),
  sessionId: Id,
  protocol: ProtocolRange,
  reason: Type.String(),
  agentVersions: Type.Optional(Type.String({ maxLength: 64 })),
  bundle: Type.Optional(AgentBundle),
});
export const ResultAck = Type.Object({
  ...Envelope,
  kind: Type.Literal('resultAck'),
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  accepted: Type.Boolean(),
  reason: Type.Optional(Type.String()),
});
export const LogsAck = Type.Object({
  ...Envelope,
  kind: Type.Literal('logsAck'),
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  seq: Type.Integer({ minimum: 0 }),
});
export const Kill = Type.Object({
  ...Envelope,
  kind: Type.Literal('kill'),
  jobId: Id,
  attempt: Type.Integer({ minimum: 1 }),
  reason: Type.String(),
});
export const HeartbeatAck = Type.Object({
  ...Envelope,
  kind: Type.Literal('heartbeatAck'),
  /** running jobs whose lease this agent no longer holds */
  drop: Type.Array(JobRef),
  /** the agent bundle served now (a bundle built while agents are connected reaches them here) */
  bundle: Type.Optional(AgentBundle),
});
/** Maintenance mode set from the control plane: the agent takes no new job while `enabled`. */
export const Maintenance = Type.Object({
  ...Envelope,
  kind: Type.Literal('maintenance'),
  enabled: Type.Boolean(),
});
/** A newer session of the same agent connected; this one must stop. */
export const Superseded = Type.Object({ ...Envelope, kind: Type.Literal('superseded'), sessionId: Id });

/** A new credential for the agent (rotation over the live connection): store it, then acknowledge. */
export const Credential = Type.Object({
  ...Envelope,
  kind: Type.Literal('credential'),
  credentialId: Id,
  credential: Type.String({ minLength: 16, maxLength: 256 }),
});
export type Credential = Static<typeof Credential>;

export const Control = Type.Union([
  Welcome,
  Rejected,
  ResultAck,
  LogsAck,
  Kill,
  HeartbeatAck,
  Superseded,
  Credential,
  Maintenance,
]);
export type Control = Static<typeof Control>;
export type Welcome = Static<typeof Welcome>;
export type ResultAck = Static<typeof ResultAck>;
export type Kill = Static<typeof Kill>;

/** Schema of each up message, by topic kind. */
export const UpSchemas = {
  hello: Hello,
  heartbeat: Heartbeat,
  ack: Ack,
  logs: Logs,
  result: Result,
  status: Status,
  credential: CredentialAck,
} as const satisfies Record<string, TSchema>;
export type UpMessage = { [K in keyof typeof UpSchemas]: Static<(typeof UpSchemas)[K]> };

/** Largest payload either side accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

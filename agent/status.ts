// The Agent's lifecycle states and the status it reports about itself.

export const AgentState = {
  created: 'created',
  starting: 'starting',
  running: 'running',
  draining: 'draining',
  stopping: 'stopping',
  stopped: 'stopped',
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

export interface AgentStatus {
  state: AgentState;
  /** connected and welcomed by the control plane */
  connected: boolean;
  /** when `connected` last changed (ISO 8601) */
  since?: string;
  /** takes no new job (maintenance mode, draining or stopping) */
  maintenance: boolean;
  slotsInUse: number;
  slots: number;
  /** jobs held in the inbox (not finished) */
  inbox: number;
  /** messages waiting for an acknowledgement */
  outbox: number;
}

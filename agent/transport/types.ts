// What the agent needs from its connection to the control plane, without naming MQTT.
import type { Control, Job, UpMessage } from '../../protocol/messages.ts';

export type UpMessageKind = keyof UpMessage;

export interface TransportHandlers {
  /** Subscribed and ready to publish, on a fresh session (every reconnect is a new one). */
  onConnected(sessionId: string): void;
  onDisconnected(): void;
  /** A validated job; invalid payloads never reach here. */
  onJob(job: Job): void;
  /** A validated control message. */
  onControl(control: Control): void;
}

export interface AgentTransport {
  readonly connected: boolean;
  /** The id of the current session, if connected. */
  readonly sessionId: string | undefined;
  /** Starts dialling; reconnects on its own until `stop`. */
  start(handlers: TransportHandlers): void;
  /** Publishes with QoS 1; resolves when the broker has it, rejects when not connected. */
  publish<K extends UpMessageKind>(kind: K, message: UpMessage[K]): Promise<void>;
  /** The credential used from the next connection on (after a rotation). */
  setCredential(credential: string): void;
  /** Says offline, disconnects and stops reconnecting. Safe to call twice. */
  stop(): Promise<void>;
}

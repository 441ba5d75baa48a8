// Protocol version spoken between agents and the control plane, and the range the control plane accepts.

export const PROTOCOL_VERSION = 1;

/** The oldest and newest protocol versions this build of the control plane will talk to. */
export const SUPPORTED_PROTOCOL = { min: 1, max: 1 } as const;

export function protocolSupported(version: number): boolean {
  return version >= SUPPORTED_PROTOCOL.min && version <= SUPPORTED_PROTOCOL.max;
}

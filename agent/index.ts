// The agent's public entry: the Agent component, its options, and the `roost agent` command.
export { Agent, type AgentState, type AgentStatus } from './agent.ts';
export { type AgentMainIo, agentMain } from './cli.ts';
export type { AgentOptions } from './options.ts';

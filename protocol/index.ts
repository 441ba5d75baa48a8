// The contract both sides compile against: topics, messages, states, errors, ids.
export * from './agent-versions.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './messages.ts';
export * from './states.ts';
export * from './topics.ts';
export * from './validate.ts';
export * from './version.ts';

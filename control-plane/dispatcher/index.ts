// The dispatcher: embedded MQTT broker, agent sessions, leases and worker groups.
export { Broker, type BrokerOptions, secretMatches } from './broker.ts';
export { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
export { membershipOf, selectorMatches, type WorkerGroupSelector } from './groups.ts';

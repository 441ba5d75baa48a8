// The webserver: REST API (Kestra's paths), server-sent events, MQTT over WebSocket.
export type { WebserverDeps } from './deps.ts';
export { buildApp, Webserver, type WebserverOptions } from './webserver.ts';

// The webserver: REST API (Kestra's paths), server-sent events, MQTT over WebSocket.

export { ACCESS, type Access, type Principal, type RouteAccess } from './auth/access.ts';
export { bootstrapAdmin } from './auth/bootstrap.ts';
export { ROLES, type Role } from './auth/credentials.ts';
export type { WebserverDeps } from './deps.ts';
export { bundleAdvertiser } from './routes/install.ts';
export { type App, buildApp, Webserver, type WebserverOptions } from './webserver.ts';

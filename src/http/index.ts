/**
 * `sessionflow/http`: a ready session endpoint over the Fetch standard (`Request` -> `Response`),
 * on Node (through any Fetch server), Deno, Bun and Cloudflare Workers alike.
 */
export { SEGMENTS_PATH, SESSIONS_PATH, createSessionHandler } from './handler'
export type { SessionHandler } from './handler'
export { COOKIE_NAMESPACE, HANDLER_DEFAULTS, QUERY_NAMESPACE } from './options'
export type { SessionHandlerOptions, Wire } from './options'
export type { SameSite } from './cookies'
export { HTTP_STATUS, statusOf } from './responses'

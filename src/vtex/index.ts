/**
 * `sessionflow/vtex`: remote apps over HTTP (`httpApp`), apps from VTEX's
 * `vtex.session/configuration.json`, VTEX's `{ value }` wire shape and its flat segment cookie.
 * Web-standard only. See README.md in this folder.
 */
export { DEFAULT_HTTP_TIMEOUT_MS, httpApp } from './http-app'
export type { HttpAppOptions } from './http-app'
export { appsFromVtexConfig } from './config'
export type { LocalResolution, RemoteResolution, VtexAppDeclaration, VtexAppResolution, VtexConfigOptions, VtexSessionConfig } from './config'
export {
  DEFAULT_VTEX_SEGMENT_MAX_BYTES,
  DEFAULT_VTEX_SEGMENT_PARAMS,
  VTEX_SEGMENT_KEYS,
  decodeVtexSegment,
  vtexSegment,
} from './segment'
export type { VtexSegment, VtexSegmentKey, VtexSegmentOptions } from './segment'
export { fromVtexNamespaces, toVtexNamespaces } from './wire'
export type { VtexNamespaces, VtexParam } from './wire'
export { RemoteAppError } from '../model/errors'
export type { Segmenter } from '../features/segment'

export { defineApp } from './core/app'
export type { App, AppConfig, AppInput, AppOutput, ParamDeclaration, TransformContext } from './core/app'
export type { ChangeSource, Changes } from './writes/changes'
export { recipe } from './writes/recipe'
export { jsonPatch } from './writes/json-patch'
export { ManualClock, systemClock } from './core/clock'
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './core/update-loop'
export type { Clock } from './core/clock'
export { SessionEngine } from './core/engine'
export type { CallOptions, GetOptions, WriteOptions } from './core/engine'
export { DEFAULT_TTL_MS, MAX_TTL_MS } from './core/options'
export type { SessionEngineOptions } from './core/options'
export {
  ConfigError,
  ConflictError,
  ForbiddenWriteError,
  InvalidValueError,
  ReentrantCallError,
  RemoteAppError,
  SessionNotFoundError,
  SessionflowError,
  StoreError,
  TransformFailedError,
  TransformLoopError,
} from './model/errors'
export type { ErrorCode } from './model/errors'
export { DEFAULT_LIMITS } from './util/json'
export type { Limits } from './util/json'
export type { Operation } from './model/operation'
export type { NamespacesDraft, Recipe } from './writes/recipe'
export type {
  AppFailureKind,
  AppRunReport,
  CycleReport,
  PureResult,
  SessionResult,
  WaveReport,
  WriteConflict,
} from './model/report'
export type { JsonValue, Namespace, Namespaces, Session } from './model/session'
export { MemoryStore } from './core/store'
export { MemoryTransformCache } from './core/transform-cache'
export { cacheTransforms } from './core/cache-transforms'
export type { TransformCaching } from './core/cache-transforms'
export type { CachePolicy, CachedResult, CachedWrite, MemoryTransformCacheOptions, TransformCache } from './core/transform-cache'
export type { MaybePromise, MemoryStoreOptions, SessionStore } from './core/store'
export { decodeSegmentToken, segmentBy } from './features/segment'
export type { SegmentOptions, SegmentResult, Segmenter } from './features/segment'
export { MIN_KEY_BYTES, createTokenSigner } from './features/token'
export type { TokenSigner, TokenSignerOptions } from './features/token'
export { defineAppFor } from './core/app'
export type { AppFor, AppResult, DefineApp, ExactOutput, StrictAppConfig } from './core/app'
export { sessionSchema } from './features/schema'
export type { InferSchema, SchemaValidators, SessionValidator, ValidationIssue } from './features/schema'
export type { StandardSchemaV1 } from './features/standard-schema'
export type { DeclarationFor, KnownParams, SessionSchema, TypedChanges, TypedNamespaces, TypedSession, ValueOf } from './features/typed'
export { describeGraph } from './core/graph-info'
export type { GraphPolicy } from './core/graph-info'
export type { GraphApp, GraphCycle, GraphInfo, GraphWarning } from './features/graph-analysis'
export type {
  AppEndEvent,
  AppStartEvent,
  CycleEndEvent,
  CycleStartEvent,
  InspectEvent,
  Inspector,
  StoreConflictEvent,
  StoreRetryEvent,
  StoreSaveEvent,
  WaveEndEvent,
  WaveStartEvent,
} from './features/inspect'

export { defineApp } from './app'
export type { App, AppConfig, AppInput, AppOutput, ParamDeclaration, TransformContext } from './app'
export type { Changes } from './changes'
export { ManualClock, systemClock } from './clock'
export type { Clock } from './clock'
export { DEFAULT_TTL_MS, SessionEngine } from './engine'
export type { GetOptions, SessionEngineOptions, WriteOptions } from './engine'
export {
  ConfigError,
  ConflictError,
  ForbiddenWriteError,
  InvalidValueError,
  SessionNotFoundError,
  SessionflowError,
  StoreError,
  TransformFailedError,
  TransformLoopError,
} from './errors'
export type { ErrorCode } from './errors'
export { DEFAULT_LIMITS } from './json'
export type { Limits } from './json'
export type { Operation } from './jsonpatch-types'
export type { NamespacesDraft, Recipe } from './recipe'
export type {
  AppFailureKind,
  AppRunReport,
  CycleReport,
  PureResult,
  SessionResult,
  WaveReport,
  WriteConflict,
} from './report'
export type { JsonValue, Namespace, Namespaces, Session } from './session'
export { MemoryStore } from './store'
export type { MaybePromise, MemoryStoreOptions, SessionStore } from './store'
export { decodeSegmentToken } from './segment'
export type { SegmentOptions, SegmentResult } from './segment'
export { MIN_KEY_BYTES, createTokenSigner } from './token'
export type { TokenSigner, TokenSignerOptions } from './token'
export { defineAppFor } from './app'
export type { AppResult, DefineApp, ExactOutput, StrictAppConfig } from './app'
export type { InferSchema, SchemaValidators, StandardSchemaV1, ValidationIssue } from './schema'
export type { SessionSchema, TypedChanges, TypedNamespaces, TypedSession, ValueOf } from './typed'
export type { GraphApp, GraphCycle, GraphInfo } from './graph-analysis'
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
} from './inspect'

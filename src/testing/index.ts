/** `sessionflow/testing`: helpers for testing apps and stores. Imports no test runner. */
export { ManualClock } from '../core/clock'
export { storeConformance } from './store-conformance'
export type { StoreCheck, StoreConformanceOptions } from './store-conformance'
export { changesOf, createTestEngine, expectWaves, runApp, wavesOf } from './test-kit'
export type { RunAppOptions, RunAppResult, TestEngine, TestEngineOptions } from './test-kit'

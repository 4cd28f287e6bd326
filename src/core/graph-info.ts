import { type SessionEngineOptions, checkOptions } from './options'
import { buildGraph } from './graph'
import { type GraphInfo, analyseGraph, refuseCycles, refuseWarnings } from '../features/graph-analysis'
import { ConfigError } from '../model/errors'
import type { Namespaces } from '../model/session'

/** What {@link describeGraph} refuses, as a `ConfigError`: for teams that want an acyclic or warning-free graph. */
export interface GraphPolicy {
  /** `'refuse'`: throw when the app graph has a cycle (see {@link GraphInfo.cycles}). Default `'allow'`. */
  readonly cycles?: 'allow' | 'refuse'
  /** `true`: throw when {@link GraphInfo.warnings} is not empty. Default `false`. */
  readonly strict?: boolean
}

/**
 * Analyses the app graph of an engine's options (its `apps` and `writableNamespaces`): cycles,
 * monitored params only the host can set, likely mistakes, Mermaid and DOT drawings. Throws
 * `ConfigError` where `new SessionEngine(options)` would, and where `policy` refuses the graph —
 * call it before constructing the engine (or in a test) to refuse cycles or warnings.
 */
export function describeGraph<S extends object = Namespaces>(options: SessionEngineOptions<S>, policy: GraphPolicy = {}): GraphInfo {
  if (typeof policy !== 'object' || policy === null) throw new ConfigError('the graph policy must be an object { cycles?, strict? }')
  const { cycles, strict } = policy
  if (cycles !== undefined && cycles !== 'allow' && cycles !== 'refuse') throw new ConfigError("cycles must be 'allow' or 'refuse'")
  if (strict !== undefined && typeof strict !== 'boolean') throw new ConfigError('strict must be a boolean')
  const checked = checkOptions(options)
  const info = analyseGraph(buildGraph(options.apps ?? [], options.timeoutMs), checked.writable)
  if (cycles === 'refuse') refuseCycles(info)
  if (strict === true) refuseWarnings(info)
  return info
}

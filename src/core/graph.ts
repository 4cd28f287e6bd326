import { type AppConfig, type CompiledApp, compileApp } from './app'
import { ConfigError } from '../model/errors'
import type { StandardSchemaV1 } from '../features/standard-schema'

/**
 * The app graph, indexed once at construction so that a wave costs in proportion to the apps it
 * triggers, never to the number of apps registered.
 */
export interface AppGraph {
  readonly apps: readonly CompiledApp[]
  /** `namespace.key` -> indexes of the apps monitoring that param, ascending. */
  readonly monitors: ReadonlyMap<string, readonly number[]>
  /** Indexes of the `runOnCreate` apps, ascending. */
  readonly onCreate: readonly number[]
}

/**
 * Compiles and indexes the apps; throws `ConfigError` on duplicates or a bad app. `validators`
 * (`ns.key` -> Standard Schema) are handed to the apps that write those params.
 */
export function buildGraph(
  configs: readonly AppConfig[],
  defaultTimeoutMs?: number,
  validators?: ReadonlyMap<string, StandardSchemaV1>,
): AppGraph {
  if (!Array.isArray(configs)) throw new ConfigError('apps must be an array')
  const names = new Set<string>()
  const monitors = new Map<string, number[]>()
  // apps declaring the same inputs share an input id, so a wave builds their frozen input once
  const inputIds = new Map<string, number>()
  const apps = configs.map((config, index) => {
    const app = compileApp(config, index, defaultTimeoutMs, validators)
    if (names.has(app.name)) throw new ConfigError('duplicate app name', app.name)
    names.add(app.name)
    for (const { params } of app.inputGroups) {
      for (const param of params) {
        let list = monitors.get(param)
        if (list === undefined) monitors.set(param, (list = []))
        list.push(index)
      }
    }
    let inputId = inputIds.get(app.inputKey)
    if (inputId === undefined) inputIds.set(app.inputKey, (inputId = inputIds.size))
    return { ...app, inputId }
  })
  return { apps, monitors, onCreate: apps.filter((a) => a.runOnCreate).map((a) => a.index) }
}

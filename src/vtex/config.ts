/**
 * Apps from VTEX's `vtex.session/configuration.json`: `{ "<app>": { "input": { ns: [keys] },
 * "output": { ns: [keys] } } }`, one file per VTEX app or one holding many.
 */
import { type App, type AppConfig, type ParamDeclaration, defineApp } from '../core/app'
import { ConfigError } from '../model/errors'
import { isPlainObject } from '../util/json'
import { type HttpAppOptions, httpApp } from './http-app'

/** One app of a `configuration.json`. */
export interface VtexAppDeclaration {
  /** Params the app monitors (patterns such as `'VtexIdclientAutCookie_*'` allowed). */
  readonly input?: ParamDeclaration
  /** Params the app may write. */
  readonly output?: ParamDeclaration
}

/** A parsed `vtex.session/configuration.json`: app name -> its declaration. */
export type VtexSessionConfig = { readonly [app: string]: VtexAppDeclaration }

/** An in-process app: its transform, and optionally the options VTEX's file does not carry. */
export type LocalResolution = Pick<AppConfig, 'transform'> & Partial<Pick<AppConfig, 'timeoutMs' | 'critical' | 'runOnCreate'>>

/** A remote app: its URL and optionally the other {@link httpApp} options. */
export type RemoteResolution = Omit<HttpAppOptions, 'name' | 'input' | 'output'>

/**
 * What `resolve(appName)` gives for an app of the configuration: a transform function or
 * {@link LocalResolution} (in-process), or a URL or {@link RemoteResolution} (an {@link httpApp}).
 */
export type VtexAppResolution = AppConfig['transform'] | LocalResolution | string | URL | RemoteResolution

/** Options of {@link appsFromVtexConfig}. */
export interface VtexConfigOptions {
  /** Where each app of the configuration runs. */
  readonly resolve: (app: string) => VtexAppResolution
}

const DECLARATION_FIELDS = new Set(['input', 'output'])

/**
 * Builds the apps of one or several parsed `configuration.json` files, in file and key order, each
 * running where `resolve` says. Throws `ConfigError` naming the app on an unknown field (only
 * `input` and `output` exist), a bad declaration, an app declared twice across files, or a
 * resolution that is neither a transform nor a URL.
 */
export function appsFromVtexConfig(config: VtexSessionConfig | readonly VtexSessionConfig[], options: VtexConfigOptions): App[] {
  if (typeof options?.resolve !== 'function') throw new ConfigError('appsFromVtexConfig needs options.resolve(appName)')
  const files: readonly unknown[] = Array.isArray(config) ? config : [config]
  const names = new Set<string>()
  const apps: App[] = []
  for (const file of files) {
    if (!isPlainObject(file)) throw new ConfigError('a VTEX session configuration must be an object of app name -> { input, output }')
    for (const name of Object.keys(file)) {
      if (names.has(name)) throw new ConfigError('declared twice in the configuration', name)
      names.add(name)
      const declaration = file[name]
      if (!isPlainObject(declaration)) throw new ConfigError('must be an object { input, output }', name)
      for (const field of Object.keys(declaration)) {
        if (!DECLARATION_FIELDS.has(field)) throw new ConfigError(`unknown field "${field}" (a configuration declares only input and output)`, name)
      }
      apps.push(appOf(name, declaration as VtexAppDeclaration, options.resolve(name)))
    }
  }
  return apps
}

function appOf(name: string, declaration: VtexAppDeclaration, resolved: VtexAppResolution): App {
  const { input, output } = declaration
  if (typeof resolved === 'function') return defineApp({ name, input, output, transform: resolved } as never)
  if (typeof resolved === 'string' || resolved instanceof URL) return httpApp({ name, url: resolved, input, output })
  if (typeof resolved === 'object' && resolved !== null) {
    if ('transform' in resolved) return defineApp({ ...resolved, name, input, output } as never)
    if ('url' in resolved) return httpApp({ ...resolved, name, input, output })
  }
  throw new ConfigError('resolve() must give a transform function, a URL, { transform, ... } or { url, ... }', name)
}

/**
 * Type-level session schemas: param -> value type, flowing through `SessionEngine`, `create`,
 * `get`, `patch` and the transforms. Types only; nothing here exists at runtime.
 *
 * Schemas are *open*: a declared param has its declared type, anything else stays `JsonValue`.
 * WHY: a schema is often partial (inferred from the validators of a few params), and sessions
 * legitimately hold params the schema does not list (the host copies cookies, query params...);
 * a closed view would turn every such read into a false type error. Misspelled params are still
 * caught where it matters most: an app's `input` and `output` declarations must name params of the
 * schema ({@link DeclarationFor}), and they decide what its transform may read and write.
 */
import type { JsonValue, Namespace, Namespaces, Session } from '../model/session'

/**
 * A session schema: namespace -> key -> value type, e.g.
 * `{ public: { country: 'DE' | 'US' }; store: { currencyCode: string } }`. Value types should be
 * JSON (the engine refuses anything else at runtime). {@link Namespaces} means "untyped".
 */
export type SessionSchema = object

/** The value type of param `N.K` under schema `S`; `JsonValue` when `S` does not declare it. */
export type ValueOf<S, N, K> = N extends keyof S ? (K extends keyof S[N] ? S[N][K] : JsonValue) : JsonValue

/** Whether `S` is the untyped default (an index signature over namespaces). */
export type IsUntyped<S> = string extends keyof S ? true : false

/**
 * The namespaces of a session typed by `S`: declared params with their types, everything else
 * `JsonValue`. Exactly {@link Namespaces} for the untyped default.
 */
export type TypedNamespaces<S> =
  IsUntyped<S> extends true
    ? Namespaces
    : { readonly [N in keyof S]?: { readonly [K in keyof S[N]]?: S[N][K] } & Namespace } & {
        readonly [namespace: string]: Namespace
      }

/** A session whose namespaces are typed by `S`; exactly {@link Session} for the untyped default. */
export type TypedSession<S> =
  IsUntyped<S> extends true ? Session : Omit<Session, 'namespaces'> & { readonly namespaces: TypedNamespaces<S> }

/**
 * A changes object typed by `S`: declared params take their type (or `undefined`, which deletes);
 * other params any JSON value.
 */
export type TypedChanges<S> =
  IsUntyped<S> extends true
    ? { readonly [namespace: string]: { readonly [key: string]: JsonValue | undefined } }
    : {
        readonly [N in keyof S]?: { readonly [K in keyof S[N]]?: S[N][K] | undefined } & {
          readonly [key: string]: JsonValue | undefined
        }
      } & {
        readonly [namespace: string]: { readonly [key: string]: JsonValue | undefined }
      }

/**
 * The params an app may declare under schema `S`: namespaces and keys the schema names (in
 * `input`, `P` = `true`, also key patterns ending in `*`). Any declaration for the untyped default.
 */
export type DeclarationFor<S, P extends boolean = false> =
  IsUntyped<S> extends true
    ? { readonly [namespace: string]: readonly string[] }
    : { readonly [N in keyof S & string]?: readonly KeyOf<S, N, P>[] }

/** The keys of namespace `N` of `S`; with `P`, also patterns (`prefix*`). */
type KeyOf<S, N extends keyof S, P extends boolean> = (keyof S[N] & string) | (P extends true ? `${string}*` : never)

/**
 * Checks declaration `D` against schema `S` name by name, so that a misspelled name is an error at
 * that name: an unknown key fails against the union of the namespace's keys, an unknown namespace
 * against a message saying so. `P`: key patterns (`prefix*`) are allowed (inputs). `D` itself for
 * the untyped default.
 */
export type KnownParams<D, S, P extends boolean = false> =
  IsUntyped<S> extends true
    ? D
    : {
        readonly [N in keyof D]: N extends keyof S ? readonly KeyOf<S, N, P>[] : `${N & string} is not a namespace of the session schema`
      }

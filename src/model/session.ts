/** A plain JSON value as sessions store it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** A namespace: param key -> value. */
export type Namespace = { readonly [key: string]: JsonValue }

/** All namespaces of a session: namespace -> key -> value. */
export type Namespaces = { readonly [namespace: string]: Namespace }

/** One checked write of an app's output: `value` undefined deletes the param. */
export interface Write {
  readonly namespace: string
  readonly key: string
  readonly value: JsonValue | undefined
  /** `namespace.key`, when the producer already built it (saves building it again per write). */
  readonly param?: string
}

/** An immutable, deeply frozen session as the engine returns and stores it. */
export interface Session {
  /** Unguessable id (at least 128 random bits, base64url). */
  readonly id: string
  /** 1 after create, +1 on every saved change. */
  readonly version: number
  /** Host clock time of creation, ms. */
  readonly createdAt: number
  /** Host clock time of the last saved change or touch, ms. */
  readonly updatedAt: number
  /** Host clock time after which the session reads as absent, ms. */
  readonly expiresAt: number
  /** The params, by namespace. */
  readonly namespaces: Namespaces
}

import type { JsonValue } from './session'

/** One RFC 6902 JSON Patch operation. */
export type Operation =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'move'; readonly path: string; readonly from: string }
  | { readonly op: 'copy'; readonly path: string; readonly from: string }
  | { readonly op: 'test'; readonly path: string; readonly value: JsonValue }

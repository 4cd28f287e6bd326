/**
 * Base64url (RFC 4648 §5, no padding) without Node's buffer API, so ids and tokens encode the same
 * way on every runtime: the encoder goes through the web-standard `btoa`; the decoder is written
 * out on typed arrays and strict: it accepts exactly the strings the encoder produces, so one byte
 * sequence has one encoding and a re-encoded token (padding, `+`/`/`, stray low bits) is refused
 * rather than silently accepted as an alias.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Char code -> 6-bit value, -1 outside the alphabet (only the decoder needs it: pure, so tree-shaken without it). */
const VALUES = /* @__PURE__ */ (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  // the runtime's own base64 (`btoa`, web-standard), then the URL-safe alphabet without padding
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
}

/**
 * Decodes unpadded base64url; `undefined` for anything the encoder would not have produced
 * (characters outside the alphabet, padding, an impossible length, non-zero trailing bits).
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const rest = text.length % 4
  if (rest === 1) return undefined
  const bytes = new Uint8Array(((text.length - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1))
  let o = 0
  let i = 0
  for (; i + 3 < text.length; i += 4) {
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = value(text, i + 2)
    const d = value(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    bytes[o++] = n >> 16
    bytes[o++] = (n >> 8) & 255
    bytes[o++] = n & 255
  }
  if (rest === 2) {
    const a = value(text, i)
    const b = value(text, i + 1)
    // the 4 low bits of the last character carry no data: non-zero means a non-canonical alias
    if (a < 0 || b < 0 || (b & 15) !== 0) return undefined
    bytes[o] = (a << 2) | (b >> 4)
  } else if (rest === 3) {
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = value(text, i + 2)
    if (a < 0 || b < 0 || c < 0 || (c & 3) !== 0) return undefined
    bytes[o++] = (a << 2) | (b >> 4)
    bytes[o] = ((b & 15) << 4) | (c >> 2)
  }
  return bytes
}

/** The 6-bit value of one character, -1 outside the alphabet (so an OR of several is negative if any is). */
function value(text: string, i: number): number {
  const code = text.charCodeAt(i)
  return code < 128 ? VALUES[code]! : -1
}

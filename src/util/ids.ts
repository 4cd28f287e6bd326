import { encodeBase64url } from './base64url'
import { InvalidValueError } from '../model/errors'

/** Longest session id accepted by the engine's calls. */
export const MAX_ID_LENGTH = 128

const ID_PATTERN = /^[A-Za-z0-9_\-.:]+$/

/** A new session id: 128 random bits from Web Crypto, base64url (22 characters). */
export function randomId(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(16)))
}

/** Throws `InvalidValueError` unless `id` is a well-formed session id (1-128 of `A-Za-z0-9_-.:`). */
export function assertId(id: unknown): asserts id is string {
  if (typeof id !== 'string') throw new InvalidValueError(`session id must be a string, got ${typeof id}`)
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new InvalidValueError(`malformed session id (1-${MAX_ID_LENGTH} characters of A-Z a-z 0-9 _ - . :)`)
  }
}

/** Request bodies: media type, a size bound kept while the body streams in, JSON. */
import { InvalidValueError } from '../model/errors'
import { type BoundedText, readBoundedText } from '../util/bounded-read'
import { HttpProblem } from './responses'

/** `application/json` (a changes object in the configured wire shape). */
export const JSON_TYPE = 'application/json'
/** `application/json-patch+json` (RFC 6902 operations on the plain namespaces). */
export const JSON_PATCH_TYPE = 'application/json-patch+json'

/** The request's media type, lower-cased, without parameters; `undefined` when there is none. */
export function mediaType(request: Request): string | undefined {
  const header = request.headers.get('content-type')
  if (header === null) return undefined
  const type = header.split(';', 1)[0]!.trim().toLowerCase()
  return type === '' ? undefined : type
}

/** Refuses (415) a body whose media type is not one of `accepted`. */
export function requireMediaType(request: Request, accepted: readonly string[]): string {
  const type = mediaType(request)
  if (type === undefined || !accepted.includes(type)) {
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `send ${accepted.join(' or ')}${type === undefined ? '' : `, not ${type.slice(0, 100)}`}`, {
      'accept-patch': accepted.join(', '),
    })
  }
  return type
}

/**
 * The body as text. Over `maxBytes` is refused with `InvalidValueError` (`limit: 'maxBodyBytes'`,
 * answered 413) as soon as that is known — from `Content-Length`, or while a body without one
 * streams in — so a huge body is never buffered. Not UTF-8: `InvalidValueError`.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  let read: BoundedText
  try {
    read = await readBoundedText(request.body, request.headers.get('content-length'), maxBytes)
  } catch (error) {
    // the stream itself failed: the client went away or sent a broken body, not a server fault
    throw new InvalidValueError('the request body could not be read', undefined, { cause: error })
  }
  if ('text' in read) return read.text
  if (read.problem === 'too-large') throw tooLarge(maxBytes)
  throw new InvalidValueError('the request body is not valid UTF-8')
}

/** The body parsed as JSON, bounded as {@link readText}; `undefined` when it is empty. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readText(request, maxBytes)
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new InvalidValueError('the request body is not valid JSON')
  }
}

function tooLarge(maxBytes: number): InvalidValueError {
  return new InvalidValueError(`the request body is over ${maxBytes} bytes`, undefined, { limit: 'maxBodyBytes' })
}

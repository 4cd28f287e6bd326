/** Reading a request or response body as UTF-8 text within a size bound. */

/** A body read within its bound, or why it could not be: over `maxBytes`, or not UTF-8. */
export type BoundedText = { readonly text: string } | { readonly problem: 'too-large' | 'not-utf8' }

/**
 * Reads `body` as UTF-8 text, refusing it as soon as it is known to be over `maxBytes` — from the
 * declared `Content-Length`, or while a body without one streams in — so a huge body is never
 * buffered; the stream is then cancelled. Errors of the stream itself (a dropped connection) are
 * thrown as they are: the caller says what they mean.
 */
export async function readBoundedText(body: ReadableStream<Uint8Array> | null, declaredLength: string | null, maxBytes: number): Promise<BoundedText> {
  if (declaredLength !== null && Number(declaredLength) > maxBytes) {
    await body?.cancel().catch(() => undefined)
    return { problem: 'too-large' }
  }
  if (body === null) return { text: '' }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      return { problem: 'too-large' }
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
  } catch {
    return { problem: 'not-utf8' }
  }
}

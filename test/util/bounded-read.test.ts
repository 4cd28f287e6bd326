import { describe, expect, it } from 'vitest'
import { readBoundedText } from '../../src/util/bounded-read'

/** A stream of these chunks that records whether it was cancelled and how many chunks were pulled. */
function stream(chunks: Uint8Array[]) {
  const state = { cancelled: false, pulled: 0 }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[state.pulled++]
      if (chunk === undefined) controller.close()
      else controller.enqueue(chunk)
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { body, state }
}
const bytes = (text: string) => new TextEncoder().encode(text)

describe('readBoundedText', () => {
  it('reads a body up to exactly maxBytes, multi-byte characters split across chunks included', async () => {
    const all = bytes('{"a":"ção"}')
    const { body } = stream([all.slice(0, 8), all.slice(8)])
    expect(await readBoundedText(body, null, all.length)).toEqual({ text: '{"a":"ção"}' })
    expect(await readBoundedText(null, null, 10)).toEqual({ text: '' })
  })

  it('refuses a declared length over the bound without reading, and cancels the stream', async () => {
    const { body, state } = stream([bytes('x')])
    expect(await readBoundedText(body, '11', 10)).toEqual({ problem: 'too-large' })
    expect(state).toEqual({ cancelled: true, pulled: 0 })
  })

  it('refuses an undeclared (or lying) body as soon as it passes the bound, and stops pulling', async () => {
    const chunk = new Uint8Array(4)
    const { body, state } = stream(Array.from({ length: 1000 }, () => chunk))
    expect(await readBoundedText(body, '4', 10)).toEqual({ problem: 'too-large' })
    expect(state.cancelled).toBe(true)
    expect(state.pulled).toBeLessThan(10)
  })

  it('says when a body is not UTF-8', async () => {
    expect(await readBoundedText(stream([new Uint8Array([0x22, 0xff, 0x22])]).body, null, 10)).toEqual({ problem: 'not-utf8' })
  })

  it('lets a broken stream throw', async () => {
    const body = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error('connection reset')) })
    await expect(readBoundedText(body, null, 10)).rejects.toThrow('connection reset')
  })
})

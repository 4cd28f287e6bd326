import { describe, expect, it } from 'vitest'
import { InvalidValueError } from '../../src/index'
import { mediaType, readJson, readText, requireMediaType } from '../../src/http/body'
import { HttpProblem } from '../../src/http/responses'

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://localhost/api/sessions', { method: 'POST', body, headers, duplex: 'half' } as RequestInit)

describe('request bodies', () => {
  it('media type: lower-cased, without parameters', () => {
    expect(mediaType(post('{}', { 'content-type': 'Application/JSON ; charset=utf-8' }))).toBe('application/json')
    expect(mediaType(new Request('http://localhost/'))).toBeUndefined()
    expect(() => requireMediaType(post('{}', { 'content-type': 'text/plain' }), ['application/json'])).toThrow(HttpProblem)
  })

  it('reads JSON; empty is undefined; malformed JSON or UTF-8 is InvalidValueError', async () => {
    expect(await readJson(post('{"a":1}'), 100)).toEqual({ a: 1 })
    expect(await readJson(post('  '), 100)).toBeUndefined()
    expect(await readJson(post(null), 100)).toBeUndefined()
    await expect(readJson(post('{"a":'), 100)).rejects.toThrow(InvalidValueError)
    await expect(readText(post(new Uint8Array([0xc3, 0x28])), 100)).rejects.toThrow(/UTF-8/)
  })

  it('refuses a body over the limit from its Content-Length, or while it streams, without reading the rest', async () => {
    const declared = post('x'.repeat(10), { 'content-length': '1000' })
    await expect(readText(declared, 100)).rejects.toMatchObject({ code: 'INVALID_VALUE', limit: 'maxBodyBytes' })
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(64))
      },
    })
    await expect(readText(post(endless), 1_000)).rejects.toMatchObject({ limit: 'maxBodyBytes' })
    expect(pulled).toBeLessThan(40)
    expect(await readText(post('x'.repeat(100)), 100)).toHaveLength(100)
  })

  it('a body stream that fails (the client went away) is the client\'s error, not a 500', async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('socket hang up'))
      },
    })
    await expect(readText(post(broken), 100)).rejects.toMatchObject({ code: 'INVALID_VALUE', message: 'the request body could not be read' })
  })
})

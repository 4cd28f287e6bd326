import { describe, expect, it } from 'vitest'
import { InvalidValueError } from '../../src/index'
import { callSignal, throwIfAborted, untilAborted } from '../../src/util/abort'

describe('call signals', () => {
  it('callSignal accepts undefined or an AbortSignal, refuses anything else', () => {
    const signal = new AbortController().signal
    expect(callSignal(undefined)).toBeUndefined()
    expect(callSignal(signal)).toBe(signal)
    for (const bad of [null, 1, 'x', {}, { aborted: 'no', addEventListener() {} }]) expect(() => callSignal(bad)).toThrow(InvalidValueError)
  })

  it('throwIfAborted throws the exact reason', () => {
    const controller = new AbortController()
    throwIfAborted(controller.signal)
    throwIfAborted(undefined)
    const reason = { why: 'gone' }
    controller.abort(reason)
    expect(() => throwIfAborted(controller.signal)).toThrow(expect.objectContaining(reason))
  })

  it('untilAborted settles like the promise, or rejects with the reason first; it leaves no listener behind', async () => {
    const controller = new AbortController()
    let listeners = 0
    const add = controller.signal.addEventListener.bind(controller.signal)
    const remove = controller.signal.removeEventListener.bind(controller.signal)
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (listeners++, add(...args))) as typeof add
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (listeners--, remove(...args))) as typeof remove
    expect(await untilAborted(Promise.resolve(1), controller.signal)).toBe(1)
    await expect(untilAborted(Promise.reject(new Error('x')), controller.signal)).rejects.toThrow('x')
    expect(listeners).toBe(0)
    const never = new Promise(() => undefined)
    const waiting = untilAborted(never, controller.signal)
    const reason = new Error('deadline')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    await expect(untilAborted(Promise.resolve(1), controller.signal)).rejects.toBe(reason)
  })
})

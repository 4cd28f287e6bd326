import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyedQueue } from '../../src/core/queue'
import { fcParams } from '../support/fc'

/** A task that records its start and end and settles when `release` is called. */
function gate(log: string[], name: string, fail = false) {
  let release!: () => void
  const settled = new Promise<void>((resolve) => (release = resolve))
  const task = async () => {
    log.push(`start ${name}`)
    await settled
    log.push(`end ${name}`)
    if (fail) throw new Error(name)
    return name
  }
  return { task, release }
}

describe('KeyedQueue', () => {
  it('runs the tasks of one key one after another, in call order; other keys do not wait', async () => {
    const queue = new KeyedQueue()
    const log: string[] = []
    const a1 = gate(log, 'a1')
    const a2 = gate(log, 'a2')
    const b1 = gate(log, 'b1')
    const r1 = queue.run('a', a1.task)
    const r2 = queue.run('a', a2.task)
    const r3 = queue.run('b', b1.task)
    await Promise.resolve()
    expect(log).toEqual(['start a1', 'start b1'])
    expect(queue.busy('a')).toBe(true)
    expect(queue.size).toBe(2)
    b1.release()
    await r3
    expect(queue.busy('b')).toBe(false)
    a2.release() // released early: still waits for a1
    await new Promise((resolve) => setTimeout(resolve, 1))
    expect(log).not.toContain('start a2')
    a1.release()
    expect(await r1).toBe('a1')
    expect(await r2).toBe('a2')
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2'])
    expect(queue.size).toBe(0)
  })

  it('a task that throws or rejects rejects its own call only; the next task of the key still runs', async () => {
    const queue = new KeyedQueue()
    const log: string[] = []
    const bad = gate(log, 'bad', true)
    const r1 = queue.run('k', bad.task)
    const r2 = queue.run('k', () => {
      throw new Error('sync')
    })
    const r3 = queue.run('k', async () => 'ok')
    bad.release()
    await expect(r1).rejects.toThrow('bad')
    await expect(r2).rejects.toThrow('sync')
    expect(await r3).toBe('ok')
    expect(queue.size).toBe(0)
  })

  it('property: per key, tasks never overlap and run in call order; every key is released at the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3)), { maxLength: 30 }), async (calls) => {
        const queue = new KeyedQueue()
        const running = new Map<string, number>()
        const order = new Map<string, number[]>()
        const results = calls.map(([key, ticks], i) =>
          queue.run(key, async () => {
            expect(running.get(key) ?? 0).toBe(0)
            running.set(key, 1)
            for (let t = 0; t < ticks; t++) await Promise.resolve()
            running.set(key, 0)
            order.set(key, [...(order.get(key) ?? []), i])
            return i
          }),
        )
        expect(await Promise.all(results)).toEqual(calls.map((_, i) => i))
        for (const [key, seen] of order) expect(seen).toEqual(calls.flatMap(([k], i) => (k === key ? [i] : [])))
        expect(queue.size).toBe(0)
      }),
      fcParams(100),
    )
  })
})

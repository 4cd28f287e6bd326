import { describe, expect, it } from 'vitest'
import { MemoryTransformCache } from '../../src/index'

const result = (n: number) => ({ writes: [{ namespace: 'a', key: 'b', value: n }] })
const policy = { ttlMs: 100, maxEntries: 3 }

describe('MemoryTransformCache', () => {
  it('returns what was set, per app and key', () => {
    const cache = new MemoryTransformCache({ now: () => 0 })
    cache.set('x', 'k', result(1), policy)
    cache.set('y', 'k', result(2), policy)
    expect(cache.get('x', 'k')).toEqual(result(1))
    expect(cache.get('y', 'k')).toEqual(result(2))
    expect(cache.get('x', 'other')).toBeUndefined()
    expect(cache.size()).toBe(2)
  })

  it('drops an entry once ttlMs has passed on its clock', () => {
    let now = 1_000
    const cache = new MemoryTransformCache({ now: () => now })
    cache.set('x', 'k', result(1), policy)
    now += 99
    expect(cache.get('x', 'k')).toEqual(result(1))
    now += 1
    expect(cache.get('x', 'k')).toBeUndefined()
    expect(cache.size('x')).toBe(0)
  })

  it('keeps at most maxEntries per app, dropping the least recently used', () => {
    const cache = new MemoryTransformCache({ now: () => 0 })
    for (const k of ['1', '2', '3']) cache.set('x', k, result(Number(k)), policy)
    expect(cache.get('x', '1')).toBeDefined() // 1 is now the most recent
    cache.set('x', '4', result(4), policy)
    expect(cache.size('x')).toBe(3)
    expect(cache.get('x', '2')).toBeUndefined()
    expect(['1', '3', '4'].map((k) => cache.get('x', k)?.writes[0]!.value)).toEqual([1, 3, 4])
    cache.set('y', 'k', result(9), { ttlMs: 100, maxEntries: 1 })
    expect(cache.size('x')).toBe(3) // bounds are per app
  })

  it('setting a key again replaces it and renews its ttl', () => {
    let now = 0
    const cache = new MemoryTransformCache({ now: () => now })
    cache.set('x', 'k', result(1), policy)
    now = 90
    cache.set('x', 'k', result(2), policy)
    now = 150
    expect(cache.get('x', 'k')).toEqual(result(2))
    expect(cache.size('x')).toBe(1)
  })
})

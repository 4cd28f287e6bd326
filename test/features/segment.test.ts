import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, InvalidValueError, ManualClock, SessionEngine, decodeSegmentToken, jsonPatch, segmentBy } from '../../src/index'
import type { Namespaces, Segmenter } from '../../src/index'
import { commerceApps } from '../support/commerce'
import { fcParams } from '../support/fc'

/** JSON values without the reserved names the engine refuses. */
const jsonValues = fc.jsonValue({ maxDepth: 2 }).filter((v) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(v)))

const SEGMENT = { params: ['store.channel', 'store.currencyCode', 'public.utm_*'] }

function commerceEngine() {
  return new SessionEngine({ apps: commerceApps, clock: new ManualClock(0), segment: segmentBy(SEGMENT) })
}

function decodeJson(token: string): unknown {
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
}

describe('segment option', () => {
  it('extracts the configured params, with patterns, and nothing else', async () => {
    const engine = commerceEngine()
    const { session } = await engine.create({ public: { country: 'US', utm_source: 'newsletter', utmx: 1, postalCode: '9' } })
    const { segment, token } = engine.segmentOf(session)
    expect(segment).toEqual({ store: { channel: 'web', currencyCode: 'USD' }, public: { utm_source: 'newsletter' } })
    expect(decodeSegmentToken(token)).toEqual(segment)
    // canonical JSON: namespaces and keys sorted
    expect(Buffer.from(token, 'base64url').toString('utf8')).toBe(
      '{"public":{"utm_source":"newsletter"},"store":{"channel":"web","currencyCode":"USD"}}',
    )
    expect(Object.isFrozen(segment) && Object.isFrozen(segment.store)).toBe(true)
    expect(engine.segmentOf(session)).toBe(engine.segmentOf(session)) // cached per namespaces
  })

  it('gives every session without segment params, and every engine without a segment, the empty segment', async () => {
    const engine = new SessionEngine({ segment: segmentBy({ params: ['store.currencyCode'] }) })
    const { session } = await engine.create({ public: { x: 1 } })
    expect(engine.segmentOf(session)).toEqual({ segment: {}, token: 'e30' })
    const plain = new SessionEngine()
    const other = await plain.create({ store: { currencyCode: 'EUR' } })
    expect(other.report.segmentChanged).toBe(false)
    expect(plain.segmentOf(other.session)).toEqual({ segment: {}, token: 'e30' })
    expect((await plain.patch(other.session.id, { public: { x: 2 } })).report.segmentChanged).toBe(false)
  })

  it('refuses bad segment params with ConfigError', () => {
    for (const options of [null, 'x', {}, { params: [] }, { params: 'store.x' }, { params: ['*'] }, { params: ['store'] }, { params: ['a.b.c*x'] }, { params: ['__proto__.x'] }, { params: [1] }]) {
      expect(() => segmentBy(options as never), JSON.stringify(options)).toThrow(ConfigError)
    }
    expect(() => new SessionEngine({ segment: segmentBy({ params: ['store.*', 'public.utm_*', 'a.b'] }) })).not.toThrow()
  })

  it('refuses a segment option that is not a segmenter (the plain { params } form too) with ConfigError saying what to write', () => {
    for (const segment of [null, 'x', {}, SEGMENT, { of: () => ({}) }, { of: 1, touchedBy: () => false }]) {
      expect(() => new SessionEngine({ segment: segment as never }), JSON.stringify(segment)).toThrow(/segment must be made by segmentBy\(\): write segment: segmentBy\(\{ params/)
    }
  })

  it('reports segmentChanged only when a segment param changed', async () => {
    const engine = commerceEngine()
    const created = await engine.create({ public: { country: 'DE' } })
    expect(created.report.segmentChanged).toBe(true) // relative to an empty session
    const id = created.session.id
    const postal = await engine.patch(id, { public: { postalCode: '10115' } })
    expect(postal.report.changed).toContain('checkout.regionId')
    expect(postal.report.segmentChanged).toBe(false)
    // the country changes but the currency stays EUR: the segment does not change
    const france = await engine.patch(id, { public: { country: 'FR' } })
    expect(france.report.changed).toContain('public.country')
    expect(france.report.segmentChanged).toBe(false)
    expect(engine.segmentOf(france.session).token).toBe(engine.segmentOf(created.session).token)
    const us = await engine.patch(id, { public: { country: 'US' } })
    expect(us.report.segmentChanged).toBe(true)
    expect(engine.segmentOf(us.session).segment.store).toEqual({ channel: 'web', currencyCode: 'USD' })
    const utm = await engine.patch(id, jsonPatch([{ op: 'add', path: '/public/utm_campaign', value: 'spring' }]))
    expect(utm.report.segmentChanged).toBe(true)
    const same = await engine.patch(id, { public: { utm_campaign: 'spring' } })
    expect(same.report.segmentChanged).toBe(false)
    const pure = await engine.runTransform(us.session.namespaces, { public: { utm_source: 'ad' } })
    expect(pure.report.segmentChanged).toBe(true)
    expect(engine.segmentOf(pure).segment.public).toEqual({ utm_source: 'ad' })
  })

  it('never carries unconfigured params, and decodes back to the segment (property)', async () => {
    const names = fc.constantFrom('store', 'public', 'profile', 'cookie')
    const keys = fc.constantFrom('channel', 'currencyCode', 'utm_source', 'utm_', 'utm', 'email', 'x')
    const values = jsonValues
    const engine = new SessionEngine({ segment: segmentBy(SEGMENT) })
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(names, keys, values), { maxLength: 12 }), async (writes) => {
        const changes: Record<string, Record<string, unknown>> = {}
        for (const [ns, key, value] of writes) (changes[ns] ??= {})[key] = value
        const { namespaces } = await engine.runTransform({}, changes as never)
        const { segment, token } = engine.segmentOf({ namespaces })
        for (const [ns, params] of Object.entries(segment)) {
          for (const key of Object.keys(params)) {
            expect(SEGMENT.params.some((p) => p === `${ns}.${key}` || (p.endsWith('*') && `${ns}.${key}`.startsWith(p.slice(0, -1))))).toBe(true)
            expect(params[key]).toEqual(namespaces[ns]![key])
          }
        }
        for (const [ns, params] of Object.entries(namespaces)) {
          for (const key of Object.keys(params)) {
            const configured = (ns === 'store' && (key === 'channel' || key === 'currencyCode')) || (ns === 'public' && key.startsWith('utm_'))
            expect(segment[ns]?.[key] !== undefined).toBe(configured)
          }
        }
        expect(decodeSegmentToken(token)).toEqual(segment)
        expect(decodeJson(token)).toEqual(segment)
      }),
      fcParams(150),
    )
  })

  it('gives equal segments the same token whatever the write order (property)', async () => {
    const engine = new SessionEngine({ segment: segmentBy({ params: ['store.*', 'public.utm_*'] }) })
    const write = fc.tuple(fc.constantFrom('store', 'public'), fc.constantFrom('a', 'b', 'utm_a', 'utm_b', 'c'), jsonValues)
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(write, { selector: ([ns, key]) => `${ns}.${key}`, maxLength: 8 }).chain((writes) =>
          fc.tuple(fc.constant(writes), fc.shuffledSubarray(writes, { minLength: writes.length, maxLength: writes.length })),
        ),
        async ([inOrder, shuffled]) => {
          let a: Namespaces = {}
          for (const [ns, key, value] of inOrder) a = (await engine.runTransform(a, { [ns]: { [key]: value } } as never)).namespaces
          let b: Namespaces = {}
          // reversed key order inside objects as well, through a JSON round trip with reversed keys
          for (const [ns, key, value] of shuffled) b = (await engine.runTransform(b, { [ns]: { [key]: reverseKeys(value) } } as never)).namespaces
          expect(engine.segmentOf({ namespaces: a }).token).toBe(engine.segmentOf({ namespaces: b }).token)
        },
      ),
      fcParams(100),
    )
  })

  it('segmentChanged is exactly "the token changed" for any patch (property)', async () => {
    const engine = new SessionEngine({ segment: segmentBy(SEGMENT) })
    const write = fc.tuple(
      fc.constantFrom('store', 'public'),
      fc.constantFrom('channel', 'currencyCode', 'utm_source', 'country'),
      fc.option(fc.constantFrom('a', 'b', 1), { nil: undefined }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 5 }), fc.array(write, { maxLength: 5 }), async (first, second) => {
        const toChanges = (ws: typeof first) => {
          const c: Record<string, Record<string, unknown>> = {}
          for (const [ns, key, value] of ws) (c[ns] ??= {})[key] = value
          return c as never
        }
        const before = await engine.runTransform({}, toChanges(first))
        const after = await engine.runTransform(before.namespaces, toChanges(second))
        expect(after.report.segmentChanged).toBe(engine.segmentOf(before).token !== engine.segmentOf(after).token)
      }),
      fcParams(200),
    )
  })

  it('decodeSegmentToken refuses anything but a canonical token of a valid segment, never throwing', () => {
    const enc = (text: string) => Buffer.from(text, 'utf8').toString('base64url')
    expect(decodeSegmentToken(enc('{"a":{"b":1}}'))).toEqual({ a: { b: 1 } })
    for (const bad of [
      enc('{"b":{"x":1},"a":{"x":1}}'), // keys not sorted
      enc('{"a":{"b":1.0}}'), // number spelling
      enc('{"a": {"b":1}}'), // whitespace
      enc('{"a":{}}'), // empty namespace
      enc('{"__proto__":{"b":1}}'),
      enc('{"a":{"b":{"__proto__":1}}}'),
      enc('{"a.b":{"c":1}}'),
      enc('{"a":1}'),
      enc('[]'),
      enc('null'),
      enc('{"a":{"b":1}'),
      Buffer.from('{"a":{"b":1}}').toString('base64'), // padded standard base64
      `${enc('{"a":{"b":1}}')}=`,
      Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url'), // invalid UTF-8
      '',
      '!!!',
      42,
      null,
    ]) {
      expect(decodeSegmentToken(bad), String(bad)).toBeUndefined()
    }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (garbage) => {
        const decoded = decodeSegmentToken(garbage)
        if (decoded !== undefined) expect(typeof garbage).toBe('string')
      }),
      fcParams(300),
    )
  })
})

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as Record<string, unknown>)[key])
  return out
}

describe('a Segmenter as the segment option', () => {
  it('is used as given: its of() makes segmentOf, its touchedBy() makes segmentChanged', async () => {
    const calls: string[][] = []
    const segmenter: Segmenter = {
      of: (namespaces) => ({ segment: {}, token: `country=${String(namespaces.public?.country ?? '')}` }),
      touchedBy: (changed) => (calls.push([...changed]), changed.includes('public.country')),
    }
    const engine = new SessionEngine({ segment: segmenter })
    const { session, report } = await engine.create({ public: { country: 'BR' } })
    expect(engine.segmentOf(session).token).toBe('country=BR')
    expect(report.segmentChanged).toBe(true)
    expect((await engine.patch(session.id, { public: { other: 1 } })).report.segmentChanged).toBe(false)
    expect(calls).toContainEqual(['public.other'])
  })

  it('a segmenter whose of() refuses a segment makes the write fail, and nothing is saved', async () => {
    const segmenter: Segmenter = {
      of: (namespaces) => {
        if (namespaces.public?.country === 'XX') throw new InvalidValueError('no segment for XX')
        return { segment: {}, token: 't' }
      },
      touchedBy: () => true,
    }
    const engine = new SessionEngine({ segment: segmenter })
    const { session } = await engine.create({ public: { country: 'BR' } })
    await expect(engine.patch(session.id, { public: { country: 'XX' } })).rejects.toThrow(/no segment for XX/)
    expect(await engine.get(session.id)).toEqual(session)
  })
})

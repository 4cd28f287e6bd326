import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, InvalidValueError, type JsonValue, SessionEngine, defineApp } from '../../src/index'
import { DEFAULT_VTEX_SEGMENT_PARAMS, VTEX_SEGMENT_KEYS, decodeVtexSegment, vtexSegment } from '../../src/vtex/index'
import { fcParams } from '../support/fc'
import { rejection } from '../support/helpers'

/** What a page script does with the cookie. */
const pageScript = (token: string): unknown => JSON.parse(atob(token))
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const store = defineApp({
  name: 'store',
  runOnCreate: true,
  input: { public: ['country'] },
  output: { store: ['channel', 'currencyCode', 'currencySymbol', 'countryCode', 'cultureInfo'] },
  transform: (input) =>
    input.public.country === 'BR'
      ? { store: { channel: '2', currencyCode: 'BRL', currencySymbol: 'R$', countryCode: 'BRA', cultureInfo: 'pt-BR' } }
      : { store: { channel: '1', currencyCode: 'USD', currencySymbol: '$', countryCode: 'USA', cultureInfo: 'en-US' } },
})

describe('vtexSegment', () => {
  it("makes segmentOf(...).token VTEX's flat segment: atob + JSON.parse, fixed key order, null for unset keys", async () => {
    const engine = new SessionEngine({ apps: [store], segment: vtexSegment() })
    const { session, report } = await engine.create({ public: { country: 'BR', utm_source: 'newsletter' }, checkout: { regionId: 'v2.BR-SP' } })
    const { token, segment } = engine.segmentOf(session)
    expect(token).toMatch(STANDARD_BASE64)
    const flat = pageScript(token) as Record<string, unknown>
    expect(Object.keys(flat)).toEqual([...VTEX_SEGMENT_KEYS])
    expect(flat).toEqual({
      channel: '2',
      priceTables: null,
      regionId: 'v2.BR-SP',
      utm_campaign: null,
      utm_source: 'newsletter',
      utmi_campaign: null,
      currencyCode: 'BRL',
      currencySymbol: 'R$',
      countryCode: 'BRA',
      cultureInfo: 'pt-BR',
      channelPrivacy: null,
      campaigns: null,
    })
    // `segment` holds the mapped params that are set, by namespace
    expect(segment).toEqual({
      store: { channel: '2', currencyCode: 'BRL', currencySymbol: 'R$', countryCode: 'BRA', cultureInfo: 'pt-BR' },
      checkout: { regionId: 'v2.BR-SP' },
      public: { utm_source: 'newsletter' },
    })
    expect(report.segmentChanged).toBe(true)
    expect(decodeVtexSegment(token)).toEqual(flat)
    // one namespaces object, one result
    expect(engine.segmentOf(session)).toBe(engine.segmentOf(session))
  })

  it('segmentChanged says whether a mapped param changed', async () => {
    const engine = new SessionEngine({ apps: [store], segment: vtexSegment() })
    const { session } = await engine.create({ public: { country: 'US' } })
    expect((await engine.patch(session.id, { public: { postalCode: '1' } })).report.segmentChanged).toBe(false)
    const moved = await engine.patch(session.id, { public: { country: 'BR' } })
    expect(moved.report.segmentChanged).toBe(true)
    expect((pageScript(engine.segmentOf(moved.session).token) as { currencyCode: string }).currencyCode).toBe('BRL')
  })

  it('every value, in any script, reads back exactly with atob + JSON.parse (property)', () => {
    const value: fc.Arbitrary<JsonValue> = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }), // lone surrogates included
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string({ unit: 'grapheme', maxLength: 5 }), { maxLength: 3 }),
    )
    fc.assert(
      fc.property(value, value, (channel, campaign) => {
        const segmenter = vtexSegment()
        const { token } = segmenter.of({ store: { channel }, public: { utm_campaign: campaign } })
        expect(token).toMatch(STANDARD_BASE64)
        expect(token).toMatch(/^[\x20-\x7e]*$/)
        const flat = pageScript(token) as Record<string, unknown>
        expect(flat.channel).toEqual(channel)
        expect(flat.utm_campaign).toEqual(campaign)
        expect(decodeVtexSegment(token)).toEqual(flat)
      }),
      fcParams(100),
    )
  })

  it('decodes a segment written the way VTEX writes it (raw UTF-8 in the base64)', () => {
    const vtex = { channel: '1', cultureInfo: 'pt-BR', utm_campaign: 'promoção', admin_cultureInfo: 'pt-BR' }
    const cookie = Buffer.from(JSON.stringify(vtex), 'utf8').toString('base64')
    expect(decodeVtexSegment(cookie)).toEqual(vtex)
  })

  it.each([
    ['not a string', 42],
    ['not base64', '***'],
    ['base64 of non-JSON', btoa('channel=1')],
    ['base64 of a JSON array', btoa('[1,2]')],
    ['base64 of JSON null', btoa('null')],
    ['invalid UTF-8', btoa('{"a":"\xff"}')],
    ['a reserved key', btoa('{"__proto__":{"x":1}}')],
    ['a huge value', 'A'.repeat(300_000)],
  ])('decodeVtexSegment gives undefined for %s, never throws', (_, value) => {
    expect(decodeVtexSegment(value)).toBeUndefined()
  })

  it('refuses a segment over maxBytes (default 2 KB) with InvalidValueError; the write is not saved, never truncated', async () => {
    const engine = new SessionEngine({ apps: [store], segment: vtexSegment() })
    const { session } = await engine.create({ public: { country: 'BR' } })
    const error = await rejection(engine.patch(session.id, { public: { utm_campaign: 'x'.repeat(2_000) } }), InvalidValueError, 'INVALID_VALUE')
    expect(error.message).toMatch(/over its maxBytes \(2048\).*never truncated/)
    expect(await engine.get(session.id)).toEqual(session)
    await rejection(engine.create({ public: { utm_campaign: 'x'.repeat(2_000) } }), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.runTransform({}, { public: { utm_campaign: 'x'.repeat(2_000) } }), InvalidValueError, 'INVALID_VALUE')
    // a non-segment param of any size is not its business
    expect((await engine.patch(session.id, { public: { note: 'x'.repeat(4_000) } })).session.version).toBe(2)
  })

  it('the limit is on the token: exactly maxBytes passes, one more fails', () => {
    const segmenter = vtexSegment({ maxBytes: 400 })
    const at = (n: number) => ({ store: { channel: 'x'.repeat(n) } })
    let n = 0
    for (;;) {
      try {
        segmenter.of(at(n + 1))
        n++
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidValueError)
        break
      }
    }
    const longest = segmenter.of(at(n)).token
    expect(longest.length).toBeLessThanOrEqual(400)
    expect(longest.length).toBeGreaterThan(396) // base64 grows in steps of 4
    expect((pageScript(longest) as { channel: string }).channel).toBe('x'.repeat(n))
  })

  it('maps keys to params as configured: overrides in place, null keys, extra keys after VTEX’s in the order given', () => {
    const segmenter = vtexSegment({ params: { channel: 'b2b.channel', campaigns: null, tier: 'profile.tier', '1': 'profile.one' } })
    const { token } = segmenter.of({ b2b: { channel: 'b2b-7' }, store: { channel: 'ignored' }, profile: { tier: 'gold', one: 1 }, campaigns: { active: ['x'] } })
    const flat = pageScript(token) as Record<string, unknown>
    // key order is VTEX's, then the extra keys in the options object's key order (integer-like keys first, as JS orders them)
    expect(atob(token)).toMatch(/^\{"channel":"b2b-7",.*"channelPrivacy":null,"campaigns":null,"1":1,"tier":"gold"\}$/)
    expect(flat).toMatchObject({ channel: 'b2b-7', campaigns: null, tier: 'gold', 1: 1 })
    expect(segmenter.touchedBy(['store.channel'])).toBe(false)
    expect(segmenter.touchedBy(['b2b.channel'])).toBe(true)
    expect(segmenter.touchedBy(['campaigns.active'])).toBe(false)
    expect(vtexSegment().touchedBy(['campaigns.active'])).toBe(true)
  })

  it('the default mapping covers every VTEX key', () => {
    expect(Object.keys(DEFAULT_VTEX_SEGMENT_PARAMS)).toEqual([...VTEX_SEGMENT_KEYS])
  })

  it.each([
    ['an unknown option', { size: 1 }, /unknown option "size"/],
    ['maxBytes 0', { maxBytes: 0 }, /maxBytes/],
    ['a pattern param', { params: { channel: 'store.*' } }, /params\.channel must be a param/],
    ['a param without namespace', { params: { channel: 'channel' } }, /params\.channel/],
    ['a reserved segment key', { params: JSON.parse('{"__proto__":"a.b"}') }, /reserved/],
    ['params not an object', { params: ['a.b'] }, /params must be an object/],
  ])('refuses %s with ConfigError', (_, options, message) => {
    expect(() => vtexSegment(options as never)).toThrow(ConfigError)
    expect(() => vtexSegment(options as never)).toThrow(message)
  })

  it('a segmenter missing touchedBy is a ConfigError of the engine', () => {
    expect(() => new SessionEngine({ segment: { of: () => ({ segment: {}, token: '' }) } as never })).toThrow(/touchedBy/)
  })
})

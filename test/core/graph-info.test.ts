import { describe, expect, it } from 'vitest'
import { ConfigError, SessionEngine, defineApp, describeGraph } from '../../src/index'
import { commerceApps, consentBannerApp, consentDefaultApp } from '../support/commerce'
import { thrownBy } from '../support/helpers'

describe('describeGraph: the graph of an engine\'s options, and what it refuses', () => {
  it("{ cycles: 'refuse' } makes a cyclic graph a ConfigError naming apps and params", () => {
    expect(() => describeGraph({ apps: commerceApps }, { cycles: 'refuse' })).not.toThrow()
    const error = thrownBy(() => describeGraph({ apps: [consentBannerApp, consentDefaultApp] }, { cycles: 'refuse' })) as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain('consent-banner')
    expect(error.message).toContain('public.bannerShown')
    expect(() => describeGraph({}, { cycles: 'nope' as never })).toThrow(ConfigError)
  })


  it('{ strict: true } turns warnings into one ConfigError listing them all; a clean graph passes', () => {
    const idle = defineApp({ name: 'idle', output: { out: ['y'] }, transform: () => undefined })
    expect(() => describeGraph({ apps: commerceApps, writableNamespaces: ['public', 'cookie'] }, { strict: true })).not.toThrow()
    expect(() => describeGraph({ apps: commerceApps }, { strict: false })).not.toThrow()
    const error = thrownBy(() => describeGraph({ apps: [...commerceApps, idle] }, { strict: true })) as ConfigError
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain('2 warning(s)')
    expect(error.message).toContain('cookie.authToken')
    expect(error.message).toContain('app idle')
    expect(() => describeGraph({}, { strict: 'yes' as never })).toThrow(ConfigError)
  })

  it('checks the options as the engine does, and the policy', () => {
    const idle = defineApp({ name: 'idle', output: { out: ['y'] }, transform: () => undefined })
    expect(() => describeGraph({ apps: [idle, idle] })).toThrow(ConfigError)
    expect(() => describeGraph({ writableNamespaces: ['a.b'] })).toThrow(ConfigError)
    expect(() => describeGraph({}, null as never)).toThrow(ConfigError)
    // the same declarations give the same analysis whether or not an engine is built from them
    expect(() => new SessionEngine({ apps: [idle] })).not.toThrow()
    expect(describeGraph({ apps: [idle] }).warnings.map((w) => w.kind)).toEqual(['never-runs'])
  })
})

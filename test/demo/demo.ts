/**
 * `npm run demo`: the engine on the realistic commerce graph with the in-memory store. Creates a
 * session, logs a visitor in (a host write to the cookie namespace), changes the postal code, and
 * shows a loop being caught — printing, per wave, which apps ran, what changed and how long it took.
 */
import { SessionEngine, TransformLoopError, describeGraph } from '../../src/index'
import { commerceApps, consentBannerApp, consentDefaultApp } from '../support/commerce'
import { bold, dim, printReport, red, show } from './print'

async function main(): Promise<void> {
  const engine = new SessionEngine({ apps: commerceApps })
  const graph = describeGraph({ apps: commerceApps })
  console.log(bold('sessionflow demo — the commerce graph on the in-memory store'))
  console.log(dim(`apps: ${commerceApps.map((a) => a.name).join(', ')}; clients may write: ${engine.writableNamespaces.join(', ')}`))
  // the app graph as Mermaid (paste into a ```mermaid block); cycles would be drawn in red
  console.log(`\n${bold('app graph')} ${dim(`(cycles: ${graph.cycles.length}; inputs only the host writes: ${graph.orphanInputs.join(', ')})`)}`)
  console.log(dim(graph.toMermaid().trimEnd()))

  // 1. A visitor arrives from a newsletter link; the host copies query params into `public`.
  const created = await engine.create({ public: { country: 'DE', utm_source: 'newsletter', utm_campaign: 'autumn' } })
  const id = created.session.id
  printReport(`1. create  (session ${id})`, created.report)
  show('session', created.session.namespaces)

  // 2. The visitor logs in: the host writes the namespace it owns, explicitly.
  const login = await engine.patch(id, { cookie: { authToken: 'user:42:ann@example.com' } }, { allow: ['cookie'] })
  printReport('2. login (host writes cookie.authToken)', login.report)
  show('profile', login.session.namespaces.profile)
  show('campaigns', login.session.namespaces.campaigns)

  // 3. The client changes its postal code.
  const moved = await engine.patch(id, { public: { country: 'GB', postalCode: 'SW1A 1AA' } })
  printReport('3. postal code change (client patch)', moved.report)
  show('JSON Patch', moved.patch)
  show('version', moved.session.version)

  // 4. Two misconfigured apps fight over a param; the engine stops the loop and saves nothing.
  const loopingOptions = { apps: [...commerceApps, consentBannerApp, consentDefaultApp], maxWaves: 25 }
  const looping = new SessionEngine(loopingOptions)
  const session = (await looping.create({ public: { country: 'DE' } })).session
  try {
    await looping.patch(session.id, { public: { consent: false } })
    console.log(red('\n4. expected a loop error'))
    process.exitCode = 1
  } catch (error) {
    if (!(error instanceof TransformLoopError)) throw error
    console.log(`\n${bold('4. a loop is caught')}  ${red(error.code)}`)
    console.log(`  ${error.message}`)
    console.log(`  ${dim(`reason: ${error.reason}; apps: ${error.apps.join(', ')}; params: ${error.params.join(', ')}`)}`)
    const after = await looping.get(session.id)
    show('stored version is still', after?.version)
    show('describeGraph(options).cycles names them before any call:', describeGraph(loopingOptions).cycles)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})

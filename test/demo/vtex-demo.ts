/**
 * `npm run demo:vtex`: the commerce graph loaded from a VTEX `configuration.json`, with the
 * checkout app served over HTTP by a small local server speaking VTEX's transform body and called
 * through `httpApp`; the others run in-process. Shows the pattern input on the VTEX auth cookie,
 * the segment cookie read the way a page script reads it, and a remote 403 failing a call. Starts
 * and stops its own server: it exits by itself.
 */
import { readFileSync } from 'node:fs'
import { SessionEngine, TransformFailedError, defineApp } from '../../src/index'
import { appsFromVtexConfig, vtexSegment } from '../../src/vtex/index'
import { campaignsApp, storeApp } from '../support/commerce'
import { startRemoteServer, vtexBody } from '../support/remote-app'
import { bold, dim, printReport, red, show } from './print'

const TRANSFORM_PATH = '/_v/checkout/session/transform'

/** The remote checkout app: a VTEX transform endpoint. A country it does not sell to is a 403. */
function checkoutService(body: unknown) {
  const input = body as { public: { country?: { value: string }; postalCode?: { value: string } } }
  const country = input.public.country?.value
  if (country === 'KP') return { status: 403, body: JSON.stringify({ message: 'sales channel not allowed' }) }
  const postalCode = input.public.postalCode?.value ?? '0'
  return { delayMs: 20, body: vtexBody({ checkout: { regionId: country === undefined ? null : `${country.toLowerCase()}-${postalCode[0]}` } }) }
}

/** In-process port of the authentication app: every `VtexIdclientAutCookie_<account>` cookie it is given. */
const authentication = defineApp({
  name: 'authentication',
  input: { cookie: ['VtexIdclientAutCookie_*'] },
  output: { profile: ['email', 'isAuthenticated'] },
  transform: (input) => {
    const tokens = Object.values(input.cookie).map((token) => /^user:\d+:(.+@.+)$/.exec(String(token)))
    const email = tokens.find((match) => match !== null)?.[1]
    return { profile: { email, isAuthenticated: email !== undefined } }
  },
})

async function main(): Promise<void> {
  const server = await startRemoteServer({ [TRANSFORM_PATH]: checkoutService })
  try {
    const configuration = JSON.parse(readFileSync(new URL('./vtex/configuration.json', import.meta.url), 'utf8'))
    const apps = appsFromVtexConfig(configuration, {
      resolve: (app) => {
        if (app === 'checkout') return { url: `${server.url}${TRANSFORM_PATH}`, critical: true, timeoutMs: 1_000 }
        if (app === 'store') return { transform: storeApp.transform, runOnCreate: true }
        if (app === 'authentication') return authentication.transform
        return campaignsApp.transform
      },
    })
    const engine = new SessionEngine({ apps, segment: vtexSegment() })
    console.log(bold('sessionflow/vtex demo — apps from configuration.json, checkout over HTTP'))
    console.log(dim(`apps: ${apps.map((a) => a.name).join(', ')}; checkout at ${server.url}${TRANSFORM_PATH}`))

    // 1. A visitor arrives from a campaign link (a non-ASCII utm value on purpose).
    const created = await engine.create({ public: { country: 'US', postalCode: '94103', utm_source: 'newsletter', utm_campaign: 'verão' } })
    const id = created.session.id
    printReport(`1. create  (session ${id})`, created.report)
    show('checkout (from the remote app)', created.session.namespaces.checkout)
    show('the remote app received', server.requests.at(-1)?.body)

    // 2. Login: the host copies the VTEX auth cookie into the cookie namespace; the pattern input catches it.
    const login = await engine.patch(id, { cookie: { VtexIdclientAutCookie_acme: 'user:42:ann@example.com' } }, { allow: ['cookie'] })
    printReport('2. login (cookie.VtexIdclientAutCookie_acme)', login.report)
    show('profile', login.session.namespaces.profile)

    // 3. The segment cookie, as a page script reads it.
    const { token } = engine.segmentOf(login.session)
    console.log(`\n${bold('3. segment cookie')} ${dim('JSON.parse(atob(vtex_segment))')}`)
    show('vtex_segment', token)
    show('decoded', JSON.parse(atob(token)))

    // 4. A country the remote app refuses: the critical app's 403 fails the call, nothing is saved.
    try {
      await engine.patch(id, { public: { country: 'KP' } })
      console.log(red('\n4. expected the remote app to refuse'))
      process.exitCode = 1
    } catch (error) {
      if (!(error instanceof TransformFailedError)) throw error
      console.log(`\n${bold('4. remote refusal')}  ${red(`${error.code}, HTTP ${error.status}`)}`)
      console.log(`  ${error.message}`)
      show('stored version is still', (await engine.get(id))?.version)
    }
    show('remote calls served', server.requests.length)
  } finally {
    await server.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})

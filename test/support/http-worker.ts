/** A module worker serving the scenario's session endpoint: what workerd runs in test/http/workerd.test.ts. */
import { scenarioApp } from './http-app'

const { handle } = scenarioApp()

export default { fetch: (request: Request) => handle(request) }

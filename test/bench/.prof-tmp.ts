import { chainGraph, engineRunner, scaleGraph, wideGraph } from './graphs'
const which = process.argv[2] ?? 'wide'
const g = which === 'wide' ? wideGraph(1000) : which === 'chain' ? chainGraph(300) : scaleGraph(10, 100)
const r = await engineRunner(g)
const t = performance.now()
let n = 0
while (performance.now() - t < 4000) { await r.run(n++ % 2) }
console.log(which, ((performance.now() - t) * 1e6) / n / (which === 'wide' ? 1000 : which === 'chain' ? 300 : 1), 'ns')

/**
 * A minimal timing harness (no benchmark library): warm up, then time `samples` batches of
 * `batch` calls each and keep the median batch, so a noisy neighbour on a shared machine shifts
 * single samples but rarely the median. CPU-bound figures use the process's CPU time (user +
 * system), which a busy machine inflates far less than wall time: time spent waiting for a core
 * is not counted. Waits (timers) need wall time.
 */

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Calls per timed batch (sized so a batch takes a few ms). */
  batch: number
  /** Timed batches; the median is reported. */
  samples: number
  /** Untimed batches first, so the JIT has settled. */
  warmup?: number
  /** `'cpu'` (default): process CPU time; `'wall'`: elapsed time, for work that waits. */
  clock?: 'cpu' | 'wall'
}

/** Current time in ms on the chosen clock. */
function now(clock: 'cpu' | 'wall'): number {
  if (clock === 'wall') return performance.now()
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Median ms per call of `fn` (awaited when it returns a promise). */
export async function measure(fn: (i: number) => unknown, options: MeasureOptions): Promise<number> {
  const { batch, samples, warmup = Math.max(1, Math.ceil(samples / 3)), clock = 'cpu' } = options
  let i = 0
  const probe = fn(i++)
  const isAsync = probe instanceof Promise
  if (isAsync) await probe
  const once = isAsync
    ? async () => {
        const t = now(clock)
        for (let k = 0; k < batch; k++) await fn(i++)
        return now(clock) - t
      }
    : async () => {
        const t = now(clock)
        for (let k = 0; k < batch; k++) fn(i++)
        return now(clock) - t
      }
  for (let w = 0; w < warmup; w++) await once()
  const times: number[] = []
  for (let s = 0; s < samples; s++) times.push((await once()) / batch)
  return median(times)
}

/**
 * Median ms per call of `a` and of `b` (each awaited), timed in alternating batches (`a`, `b`,
 * `a`, ...): a noisy stretch of a shared machine then slows both alike, so their ratio is far
 * steadier than that of two figures timed one after the other.
 */
export async function measurePair(
  a: (i: number) => unknown,
  b: (i: number) => unknown,
  options: { batchA: number; batchB: number; samples: number },
): Promise<[number, number]> {
  let i = 0
  const once = async (fn: (i: number) => unknown, batch: number) => {
    const t = now('cpu')
    for (let k = 0; k < batch; k++) await fn(i++)
    return (now('cpu') - t) / batch
  }
  const ta: number[] = []
  const tb: number[] = []
  for (let s = 0; s < options.samples; s++) {
    ta.push(await once(a, options.batchA))
    tb.push(await once(b, options.batchB))
  }
  return [median(ta), median(tb)]
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

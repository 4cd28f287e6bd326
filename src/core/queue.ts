/** The queue's own permanent entry (not a string: no key can be it). */
const KEEP: unique symbol = Symbol('keep')

/**
 * Runs tasks one after another per key (session id), so concurrent calls on one session within
 * an engine never race each other into a compare-and-set conflict. Keys with nothing queued hold
 * no memory.
 *
 * A key's line is an array of waiting starters, present in the map while a task of that key runs.
 * The common case — nothing running for the key — starts the task at once and costs one `then`
 * on its promise: chaining every task onto the previous one's tail (as before) cost three
 * promises per call, about 8 % of a stored one-app patch through `MemoryStore`.
 */
export class KeyedQueue {
  /**
   * Keys with a task running -> the starters of the tasks waiting behind it (`null`: none, no array
   * made); plus one entry of its own that never leaves. V8 shrinks a `Map` on every delete that
   * leaves it under a quarter full, so the common one-key-at-a-time use reallocated the table on
   * every task (about 90 ns; the queue was 6 % of a stored patch's profile); with a permanent entry
   * a lone key's delete leaves it a quarter full.
   */
  readonly #lines = new Map<string | typeof KEEP, Array<() => void> | null>([[KEEP, null]])

  /** Runs `task` after every task queued before it under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const waiting = this.#lines.get(key)
    if (waiting === undefined) {
      this.#lines.set(key, null)
      return this.#start(key, task)
    }
    return new Promise<T>((resolve, reject) => {
      const starter = () => void this.#start(key, task).then(resolve, reject)
      if (waiting === null) this.#lines.set(key, [starter])
      else waiting.push(starter)
    })
  }

  /** Whether a task of `key` is running (or about to start, its predecessor having just settled). */
  busy(key: string): boolean {
    return this.#lines.has(key)
  }

  /** Number of keys with queued or running tasks. */
  get size(): number {
    return this.#lines.size - 1
  }

  #start<T>(key: string, task: () => Promise<T>): Promise<T> {
    let result: Promise<T>
    try {
      result = task()
    } catch (error) {
      result = Promise.reject(error)
    }
    const next = () => {
      const waiting = this.#lines.get(key)
      const starter = waiting == null ? undefined : waiting.shift()
      if (starter === undefined) this.#lines.delete(key)
      else starter()
    }
    result.then(next, next)
    return result
  }
}

const settle = () => undefined

/**
 * Runs tasks one after another per key (session id), so concurrent calls on one session within
 * an engine never race each other into a compare-and-set conflict. Keys with nothing queued hold
 * no memory.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>()

  /** Runs `task` after every task queued before it under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    const result = previous === undefined ? task() : previous.then(task)
    const tail = result.then(settle, settle)
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }

  /** Number of keys with queued or running tasks. */
  get size(): number {
    return this.#tails.size
  }
}

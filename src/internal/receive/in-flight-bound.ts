// The in-flight bound: how many receives may hold a request body at once before new ones are answered 503.

/** A counter of receives in progress, bounded by `maxInFlightReceives`. */
export class InFlightBound {
  #count = 0;
  constructor(readonly limit: number) {}

  /** Takes a place, or says there is none; every `true` must be paired with one `leave()` (in a `finally`). */
  tryEnter(): boolean {
    if (this.#count >= this.limit) return false;
    this.#count += 1;
    return true;
  }

  leave(): void {
    this.#count -= 1;
  }

  get count(): number {
    return this.#count;
  }
}

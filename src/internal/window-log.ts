/**
 * The count of calls in one sliding rate window. A call counts from when it starts; once it ends it is
 * dated by its *end*, which is never earlier than when the provider saw it. The window therefore frees
 * a slot no sooner than the provider's does, so clock skew and latency cannot provoke a 429.
 *
 * Memory is bounded by the window, not by the traffic: calls ending in the same millisecond share one
 * entry, and a long window (a day, a month) keeps per-minute buckets, each dated by the end of its
 * minute, so a call is held up to a minute longer than the provider holds it and never shorter.
 */
import type { RateWindow } from "../contracts/provider-adapter.ts";

/** Windows longer than this count their calls in buckets of BUCKET_MS. */
const EXACT_UP_TO_MS = 10 * 60_000;
const BUCKET_MS = 60_000;
/** How soon to look again when a window is full of calls still in flight. */
const IN_FLIGHT_RECHECK_MS = 250;

export class WindowLog {
  /** When each entry leaves the window, minus the interval (its date), oldest first, with its count. */
  #dates: number[] = [];
  #counts: number[] = [];
  #head = 0;
  #ended = 0;
  #inFlight = 0;
  readonly #bucketMs: number;

  constructor(readonly window: RateWindow) {
    this.#bucketMs = window.intervalMs > EXACT_UP_TO_MS ? BUCKET_MS : 0;
  }

  /** Entries held (for the memory bound's test and the limiter's idle check). */
  get entries(): number {
    return this.#dates.length - this.#head;
  }

  #prune(now: number): void {
    const from = now - this.window.intervalMs;
    while (this.#head < this.#dates.length && this.#dates[this.#head]! <= from) {
      this.#ended -= this.#counts[this.#head]!;
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#dates.length) {
      this.#dates = this.#dates.slice(this.#head);
      this.#counts = this.#counts.slice(this.#head);
      this.#head = 0;
    }
  }

  #push(at: number, count: number): void {
    this.#prune(at);
    const date = this.#bucketMs > 0 ? Math.ceil(at / this.#bucketMs) * this.#bucketMs : at;
    const last = this.#dates.length - 1;
    // Dates only grow (a clock stepping back is dated at the last entry, which keeps the call longer).
    if (last >= this.#head && this.#dates[last]! >= date) this.#counts[last]! += count;
    else {
      this.#dates.push(date);
      this.#counts.push(count);
    }
    this.#ended += count;
  }

  used(now: number): number {
    this.#prune(now);
    return this.#ended + this.#inFlight;
  }

  /** When the next call fits, or `now` if it fits already. */
  availableAt(now: number): number {
    const excess = this.used(now) - this.window.limit;
    if (excess < 0) return now;
    // The entry whose leaving frees excess + 1 calls; calls still in flight leave later.
    let freed = 0;
    for (let i = this.#head; i < this.#dates.length; i += 1) {
      freed += this.#counts[i]!;
      if (freed > excess) return this.#dates[i]! + this.window.intervalMs;
    }
    return now + Math.min(this.window.intervalMs, IN_FLIGHT_RECHECK_MS);
  }

  /** True when nothing is counted: no call in flight and none left in the window. */
  idle(now: number): boolean {
    return this.used(now) === 0;
  }

  start(): void {
    this.#inFlight += 1;
  }

  end(now: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#push(now, 1);
  }

  /** Budget spent elsewhere, counted as calls that ended now. */
  record(now: number, count: number): void {
    if (count > 0) this.#push(now, count);
  }
}

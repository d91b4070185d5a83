/**
 * Group commit for stores: concurrent calls gathered into one transaction, each caller settled on its own.
 */

/** The outcome of one item of a group: each caller is settled on its own. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** How a group is formed. */
export interface GroupCommitOptions {
  /** Most items in one group. */
  readonly maxBatch: number;
  /** How long the first item of a group waits for company; 0 = until the current tick's calls are in. */
  readonly maxWaitMs: number;
  /** Groups committing at once; calls arriving meanwhile queue up for the next group. */
  readonly maxInFlight: number;
}

interface Pending<TIn, TOut> {
  readonly input: TIn;
  readonly resolve: (value: TOut) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent `submit()` calls are gathered and handed to `commit` as one group (one
 * transaction). A group closes when it holds `maxBatch` items, when `maxWaitMs` has passed, or, under
 * load, when a running commit finishes. So a lone call waits at most `maxWaitMs`, and when commits are
 * the bottleneck the groups grow by themselves. Each caller is settled only after its group's commit.
 */
export class GroupCommitter<TIn, TOut> {
  readonly #commit: (inputs: TIn[]) => Promise<Settled<TOut>[]>;
  readonly #options: GroupCommitOptions;
  #queue: Pending<TIn, TOut>[] = [];
  #timer: { kind: "timeout"; handle: ReturnType<typeof setTimeout> } | { kind: "immediate"; handle: ReturnType<typeof setImmediate> } | null = null;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(commit: (inputs: TIn[]) => Promise<Settled<TOut>[]>, options: GroupCommitOptions) {
    this.#commit = commit;
    this.#options = options;
  }

  submit(input: TIn): Promise<TOut> {
    return new Promise<TOut>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#schedule(false);
    });
  }

  /** Resolves once every submitted item is settled. */
  async drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(waited: boolean): void {
    if (this.#queue.length === 0 || this.#inFlight >= this.#options.maxInFlight) return;
    if (waited || this.#queue.length >= this.#options.maxBatch) {
      this.#clearTimer();
      this.#flush();
      return;
    }
    if (this.#timer !== null) return;
    this.#timer =
      this.#options.maxWaitMs > 0
        ? { kind: "timeout", handle: setTimeout(() => this.#onTimer(), this.#options.maxWaitMs) }
        : { kind: "immediate", handle: setImmediate(() => this.#onTimer()) };
  }

  #onTimer(): void {
    this.#timer = null;
    this.#flush();
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    if (this.#timer.kind === "timeout") clearTimeout(this.#timer.handle);
    else clearImmediate(this.#timer.handle);
    this.#timer = null;
  }

  #flush(): void {
    const group = this.#queue.splice(0, this.#options.maxBatch);
    if (group.length === 0) return;
    this.#inFlight += 1;
    this.#commit(group.map((item) => item.input))
      .then(
        (results) => {
          group.forEach((item, index) => {
            const result = results[index];
            if (result === undefined) item.reject(new Error("group commit returned no result for an item"));
            else if (result.ok) item.resolve(result.value);
            else item.reject(result.error);
          });
        },
        (error: unknown) => {
          for (const item of group) item.reject(error);
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        // Whatever queued during this commit has waited long enough: send it now.
        this.#schedule(true);
        if (this.#queue.length === 0 && this.#inFlight === 0) {
          for (const wake of this.#idleWaiters.splice(0)) wake();
        }
      });
  }
}

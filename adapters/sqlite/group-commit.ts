/** Bounds of one group commit. */
export interface GroupCommitOptions {
  /** Most calls committed in one transaction. */
  readonly maxBatch: number;
  /** How long the first call of a group waits for company; 0 = only calls made in the same tick. */
  readonly maxWaitMs: number;
}

/** What `commit` reports for each input of a group: its own result or its own failure. */
export type GroupOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

interface Pending<TInput, TResult> {
  readonly input: TInput;
  readonly resolve: (value: TResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Collects concurrent calls and hands them to `commit` in groups, so many callers share one
 * transaction (and one fsync). Every caller is settled only after its group's commit returned.
 * A failure of one input fails only that caller; a failure of the whole commit fails the group.
 */
export class GroupCommit<TInput, TResult> {
  readonly #options: GroupCommitOptions;
  readonly #commit: (inputs: readonly TInput[]) => Promise<readonly GroupOutcome<TResult>[]>;
  #pending: Pending<TInput, TResult>[] = [];
  #timer: { cancel(): void } | null = null;
  #inFlight = new Set<Promise<void>>();

  constructor(options: GroupCommitOptions, commit: (inputs: readonly TInput[]) => Promise<readonly GroupOutcome<TResult>[]>) {
    this.#options = options;
    this.#commit = commit;
  }

  submit(input: TInput): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#pending.length >= this.#options.maxBatch) this.#flushOne();
      else this.#schedule();
    });
  }

  /** Commits everything submitted so far and waits for it (used by `close()`). */
  async drain(): Promise<void> {
    while (this.#pending.length > 0) this.#flushOne();
    await Promise.all([...this.#inFlight]);
  }

  #schedule(): void {
    if (this.#timer) return;
    if (this.#options.maxWaitMs === 0) {
      const handle = setImmediate(() => this.#onTimer());
      this.#timer = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(() => this.#onTimer(), this.#options.maxWaitMs);
      this.#timer = { cancel: () => clearTimeout(handle) };
    }
  }

  #onTimer(): void {
    this.#timer = null;
    while (this.#pending.length > 0) this.#flushOne();
  }

  #flushOne(): void {
    if (this.#pending.length <= this.#options.maxBatch) {
      this.#timer?.cancel();
      this.#timer = null;
    }
    const group = this.#pending.splice(0, this.#options.maxBatch);
    if (group.length === 0) return;
    const run = this.#run(group);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #run(group: readonly Pending<TInput, TResult>[]): Promise<void> {
    try {
      const outcomes = await this.#commit(group.map((pending) => pending.input));
      group.forEach((pending, index) => {
        const outcome = outcomes[index];
        if (outcome?.ok) pending.resolve(outcome.value);
        else pending.reject(outcome ? outcome.error : new Error("group commit returned no outcome"));
      });
    } catch (error) {
      for (const pending of group) pending.reject(error);
    }
  }
}

/** Live counters on one terminal line (or a line every few seconds when output is not a terminal). */
export class Progress {
  readonly #tty = Boolean(process.stdout.isTTY);
  #lastPlain = 0;
  #width = 0;

  update(text: string): void {
    if (this.#tty) {
      const line = text.padEnd(this.#width);
      this.#width = text.length;
      process.stdout.write(`\r${line}`);
      return;
    }
    const now = Date.now();
    if (now - this.#lastPlain >= 2_000) {
      this.#lastPlain = now;
      console.log(text);
    }
  }

  done(text: string): void {
    if (this.#tty) process.stdout.write(`\r${text.padEnd(this.#width)}\n`);
    else console.log(text);
    this.#width = 0;
  }
}

/** A 20-cell bar for `done` of `total`. */
export function bar(done: number, total: number): string {
  const filled = total === 0 ? 20 : Math.round((done / total) * 20);
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}]`;
}

// The inbox's lifecycle events: a typed emitter whose listeners can never break processing, and the
// one place unexpected errors go (the `error` event when someone listens, else the logger).
import EventEmitter from "eventemitter3";
import { describeError } from "../errors.ts";
import type { InboxEventMap, Logger } from "../events.ts";

export class LifecycleEvents {
  readonly #emitter = new EventEmitter<InboxEventMap>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<K extends keyof InboxEventMap>(name: K, listener: InboxEventMap[K]): void {
    this.#emitter.on(name, listener as never);
  }

  once<K extends keyof InboxEventMap>(name: K, listener: InboxEventMap[K]): void {
    this.#emitter.once(name, listener as never);
  }

  off<K extends keyof InboxEventMap>(name: K, listener?: InboxEventMap[K]): void {
    this.#emitter.off(name, listener as never);
  }

  /** The underlying emitter, for code that checks for listeners before building a payload. */
  get emitter(): EventEmitter<InboxEventMap> {
    return this.#emitter;
  }

  /** Emits; a listener that throws is logged and processing goes on. */
  emit<K extends keyof InboxEventMap>(name: K, payload: Parameters<InboxEventMap[K]>[0]): void {
    try {
      (this.#emitter.emit as (name: K, payload: unknown) => boolean)(name, payload);
    } catch (error) {
      this.#logger.error(`a "${name}" listener threw; processing goes on`, { error: describeError(error) });
    }
  }

  /** An unexpected error: to `error` listeners when there are any, else logged with `message`. */
  reportError(error: unknown, message: string): void {
    const wrapped = error instanceof Error ? error : new Error(describeError(error));
    if (this.#emitter.listenerCount("error") > 0) this.emit("error", { error: wrapped, message });
    else this.#logger.error(`${message}: ${describeError(error)}`);
  }
}

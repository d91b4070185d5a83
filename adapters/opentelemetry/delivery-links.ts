// The receive spans of recent deliveries, so a handler attempt in this process can link to the receive that stored its event.
import type { SpanContext } from "@opentelemetry/api";

/**
 * Remembers the span context of the last `capacity` deliveries received by this process (oldest
 * forgotten first). A handler attempt for one of their events links to it; an event received by
 * another process, or before a restart, has no link and is followed by its ids instead.
 */
export class DeliveryLinks {
  readonly #contexts = new Map<string, SpanContext>();
  constructor(private readonly capacity: number) {}

  remember(deliveryId: string, context: SpanContext): void {
    if (this.capacity === 0) return;
    this.#contexts.delete(deliveryId);
    this.#contexts.set(deliveryId, context);
    if (this.#contexts.size > this.capacity) this.#contexts.delete(this.#contexts.keys().next().value!);
  }

  get(deliveryId: string): SpanContext | undefined {
    return this.#contexts.get(deliveryId);
  }

  get size(): number {
    return this.#contexts.size;
  }
}

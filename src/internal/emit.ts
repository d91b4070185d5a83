// How internal modules announce lifecycle events through the processor's emitter.
import type { InboxEventMap } from "../events.ts";

/** Emits one lifecycle event; a throwing listener is logged by the processor, never thrown here. */
export type Emit = <K extends keyof InboxEventMap>(name: K, payload: Parameters<InboxEventMap[K]>[0]) => void;

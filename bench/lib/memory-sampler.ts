/**
 * In a bench child: heap and RSS readings for the parent. `settled()` collects first (with
 * --expose-gc) so it reads what is retained; the peak sampler reads every 25 ms without collecting,
 * so it sees what a burst holds at its worst (garbage included, as the host's RSS does).
 */
import { type ChildMessage, toParent } from "./child.ts";

const MiB = 1024 * 1024;

function reading(): { heapUsedMiB: number; rssMiB: number } {
  const usage = process.memoryUsage();
  return { heapUsedMiB: usage.heapUsed / MiB, rssMiB: usage.rss / MiB };
}

/** Heap and RSS after a full collection (when the child runs with --expose-gc), in MiB. */
export function settled(): { heapUsedMiB: number; rssMiB: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return reading();
}

interface Peak {
  timer: NodeJS.Timeout;
  heapUsedMiB: number;
  rssMiB: number;
}

let peak: Peak | null = null;

function sample(state: Peak): void {
  const now = reading();
  state.heapUsedMiB = Math.max(state.heapUsedMiB, now.heapUsedMiB);
  state.rssMiB = Math.max(state.rssMiB, now.rssMiB);
}

/**
 * Answers the parent's memory messages: `memory` → `memory { heapUsedMiB, rssMiB }` (settled);
 * `peak-start` starts sampling; `peak-stop` → `peak { peakHeapMiB, peakRssMiB }`. Returns true when
 * the message was one of these.
 */
export function answerMemoryMessage(message: ChildMessage): boolean {
  switch (message.type) {
    case "memory":
      toParent({ type: "memory", ...settled() });
      return true;
    case "peak-start": {
      if (peak) clearInterval(peak.timer);
      const state: Peak = { ...reading(), timer: setInterval(() => sample(state), 25) };
      peak = state;
      return true;
    }
    case "peak-stop": {
      const state = peak;
      peak = null;
      if (state) {
        clearInterval(state.timer);
        sample(state);
      }
      const last = state ?? { ...reading(), timer: undefined };
      toParent({ type: "peak", peakHeapMiB: last.heapUsedMiB, peakRssMiB: last.rssMiB });
      return true;
    }
    default:
      return false;
  }
}

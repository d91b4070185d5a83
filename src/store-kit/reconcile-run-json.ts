// A reconciliation run as JSON text and back: how the durable stores keep the run log's rows.
import type { ReconcileRun, ReconcileWindow } from "../contracts/reconciliation-store.ts";

/** The run as JSON text (dates as ISO strings). */
export function reconcileRunToJson(run: ReconcileRun): string {
  return JSON.stringify(run);
}

/** The run stored by {@link reconcileRunToJson}, with its dates restored. */
export function reconcileRunFromJson(text: string): ReconcileRun {
  const raw = JSON.parse(text) as Record<string, unknown> & { windows: Record<string, unknown>[] };
  const date = (value: unknown) => new Date(value as string);
  return {
    ...(raw as unknown as ReconcileRun),
    startedAt: date(raw.startedAt),
    endedAt: raw.endedAt === null ? null : date(raw.endedAt),
    resumeAt: raw.resumeAt === null || raw.resumeAt === undefined ? null : date(raw.resumeAt),
    windows: raw.windows.map((window) => ({ ...(window as unknown as ReconcileWindow), from: date(window.from), to: date(window.to) })),
  };
}

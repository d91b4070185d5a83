// MemorySharedState: the shared-state capability in process memory (MemoryStore's `sharedState`).
import type { LeaseInput, SharedRecord, SharedStateStore, WriteRecordInput } from "./contracts/shared-state.ts";

/**
 * Records and leases in process memory: shared by every inbox over the same `MemoryStore` object,
 * gone when the process exits. Values are copied through JSON, as a database would store them.
 */
export class MemorySharedState implements SharedStateStore {
  readonly #records = new Map<string, SharedRecord>();
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly #watchers = new Set<() => void>();

  async readRecords({ prefix }: { readonly prefix: string }): Promise<SharedRecord[]> {
    return [...this.#records.values()]
      .filter((record) => record.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(copyRecord);
  }

  async writeRecord(input: WriteRecordInput): Promise<SharedRecord | null> {
    const current = this.#records.get(input.key);
    if (input.ifVersion !== undefined && (current?.version ?? 0) !== input.ifVersion) return null;
    const record: SharedRecord = {
      key: input.key,
      value: jsonCopy(input.value),
      version: (current?.version ?? 0) + 1,
      changedAt: new Date(input.changedAt.getTime()),
      changedBy: input.changedBy,
    };
    this.#records.set(input.key, record);
    for (const watcher of this.#watchers) queueMicrotask(() => notify(watcher));
    return copyRecord(record);
  }

  async acquireLease({ key, holder, now, leaseMs }: LeaseInput): Promise<boolean> {
    const lease = this.#leases.get(key);
    if (lease && lease.holder !== holder && lease.expiresAt > now.getTime()) return false;
    this.#leases.set(key, { holder, expiresAt: now.getTime() + leaseMs });
    return true;
  }

  async releaseLease({ key, holder }: { readonly key: string; readonly holder: string }): Promise<void> {
    if (this.#leases.get(key)?.holder === holder) this.#leases.delete(key);
  }

  async watchRecords(onChange: () => void): Promise<() => Promise<void>> {
    // A distinct wrapper per subscription, so subscribing the same function twice gives two.
    const watcher = () => onChange();
    this.#watchers.add(watcher);
    return async () => void this.#watchers.delete(watcher);
  }
}

function notify(watcher: () => void): void {
  try {
    watcher();
  } catch {
    // A change notice is a hint: the watcher's own periodic re-read recovers what its callback missed.
  }
}

function jsonCopy(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function copyRecord(record: SharedRecord): SharedRecord {
  return { ...record, value: jsonCopy(record.value), changedAt: new Date(record.changedAt.getTime()) };
}

/**
 * The store inputs the receive pipeline builds for bench webhooks, captured once through a real inbox
 * (on MemoryStore), so the store micros replay exactly what the HTTP route would hand a store.
 */
import { MemoryStore, type NewDelivery, type NewEvent } from "../../src/index.ts";
import { createBenchInbox, receiveInputOf } from "./bench-inbox.ts";
import { requestFactory, type IngestWorkload } from "./ingest-payloads.ts";

/** One `insertDelivery` call as the receive pipeline makes it. */
export type StoreInput = { delivery: NewDelivery; events: readonly NewEvent[] };

/** The inputs of `count` distinct webhooks of `workload`, in order. */
export async function captureStoreInputs(workload: IngestWorkload, count: number): Promise<StoreInput[]> {
  const inputs: StoreInput[] = [];
  class Recording extends MemoryStore {
    override async insertDelivery(input: StoreInput) {
      inputs.push(input);
      return super.insertDelivery(input);
    }
  }
  const inbox = createBenchInbox(new Recording());
  const next = requestFactory(workload);
  for (let index = 0; index < count; index += 1) {
    const result = await inbox.receive(receiveInputOf(next()));
    if (result.status >= 300) throw new Error(`capture: answered ${result.status}`);
  }
  return inputs;
}

// The delivery as lifecycle events announce it: the stored record without its body.
import type { DeliverySummary, NewDelivery } from "../../types.ts";

export function deliverySummary(delivery: NewDelivery, duplicateOf: string | null, eventCount: number): DeliverySummary {
  const { rawBody: _rawBody, ...rest } = delivery;
  return { ...rest, duplicateOf, eventCount };
}

import { createHash } from "node:crypto";
import { WebhookPayloadError, type ParsedDelivery, type ProviderRequest } from "../../src/index.ts";
import { decodeJsonBody, isPlainRecord } from "../../src/provider-kit/index.ts";
import { parseClassic } from "./parse-classic.ts";
import { parseCloudEvents } from "./parse-cloudevents.ts";

/**
 * Splits a verified QuickBooks body into events. The format is told apart by shape, as Intuit's
 * own parser does: a JSON array (or an object with `specversion`) is CloudEvents, an object with
 * `eventNotifications` is classic. The content type is not trusted for this: Intuit sends
 * CloudEvents as `application/json` or `application/cloudevents+json`.
 *
 * Dedupe key: `quickbooks:` + SHA-256 of the sorted per-change keys (CloudEvents ids; classic
 * realm/name/id/operation/lastUpdated). A redelivery carries the same changes, so the same key,
 * whatever its whitespace or order.
 */
export function parseQuickBooksDelivery(request: ProviderRequest): ParsedDelivery {
  const body = decodeJsonBody(request.rawBody, "quickbooks payload");
  let change: ReturnType<typeof parseClassic>;
  if (Array.isArray(body) || (isPlainRecord(body) && "specversion" in body)) change = parseCloudEvents(body, request.receivedAt ?? new Date());
  else if (isPlainRecord(body) && "eventNotifications" in body) change = parseClassic(body);
  else {
    throw new WebhookPayloadError("quickbooks payload: body is neither a CloudEvents array nor an object with eventNotifications");
  }
  // Nothing readable at all: the whole delivery is unparseable, with the first entry's reason.
  if (change.events.length === 0 && change.rejected !== undefined) throw new WebhookPayloadError(change.rejected.reasons[0] as string);
  const digest = createHash("sha256")
    .update([...change.dedupeParts].sort().join("\n"))
    .digest("hex");
  const delivery = { dedupeKey: `quickbooks:${digest}`, events: change.events };
  if (change.rejected === undefined) return delivery;
  return { ...delivery, rejected: rejectedEntries(change.rejected.body, change.rejected.reasons) };
}

/** The entries that could not be parsed, as a body of the same format, for an operator to re-process. */
export function rejectedEntries(body: unknown, reasons: readonly string[]): NonNullable<ParsedDelivery["rejected"]> {
  return { rawBody: new TextEncoder().encode(JSON.stringify(body)), entries: reasons.length, reason: reasons.join("; ") };
}

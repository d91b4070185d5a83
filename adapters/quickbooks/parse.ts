import { createHash } from "node:crypto";
import { WebhookPayloadError, decodeJsonBody, type ParsedDelivery, type ProviderRequest } from "../../src/index.ts";
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
  let change;
  if (Array.isArray(body) || (isObject(body) && "specversion" in body)) change = parseCloudEvents(body, request.receivedAt ?? new Date());
  else if (isObject(body) && "eventNotifications" in body) change = parseClassic(body);
  else {
    throw new WebhookPayloadError(
      "quickbooks payload: body is neither a CloudEvents array nor an object with eventNotifications",
    );
  }
  const digest = createHash("sha256").update([...change.dedupeParts].sort().join("\n")).digest("hex");
  return { dedupeKey: `quickbooks:${digest}`, events: change.events };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

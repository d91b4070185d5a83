/**
 * Acknowledgements: the answer a stored delivery gets. The JSON form (what generic senders and the
 * test provider get) names the delivery; the empty form is what Xero requires of every request.
 */
import type { AcknowledgementInput, ProviderAcknowledgement } from "../contracts/provider-adapter.ts";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

const MESSAGES: Record<AcknowledgementInput["outcome"], string> = {
  accepted: "Webhook accepted for processing",
  duplicate: "Webhook already received; it is not processed again",
  unparseable: "Webhook stored for review: its body could not be parsed",
  processed: "Webhook processed",
  handshake: "",
};

/**
 * A JSON acknowledgement: `{ status, message, deliveryId, events }` (plus `duplicateOf`). Status:
 * the integration's override, else `defaultStatus` (202 for a stored delivery; `direct` mode's
 * `processed` is 200, and a handshake is an empty 200).
 */
export function jsonAcknowledgement(input: AcknowledgementInput, defaultStatus: 200 | 202 = 202): ProviderAcknowledgement {
  if (input.outcome === "handshake") return emptyAcknowledgement(200);
  if (input.outcome === "processed") {
    return { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ status: "processed", deliveryId: input.deliveryId, events: input.events }) };
  }
  const body: Record<string, unknown> = { status: input.outcome, message: MESSAGES[input.outcome], deliveryId: input.deliveryId };
  if (input.outcome === "duplicate") body.duplicateOf = input.duplicateOf;
  else if (input.outcome === "accepted") body.events = input.events;
  return { status: input.status ?? defaultStatus, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

/** No body, no headers (so no cookie): Xero's rule for every request it sends. */
export function emptyAcknowledgement(status: number): ProviderAcknowledgement {
  return { status, headers: {}, body: "" };
}

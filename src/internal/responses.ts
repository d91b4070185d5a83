import type { ReceiveResult } from "../types.ts";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): ReceiveResult {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The deferred acknowledgement: stored, processing follows. */
export function accepted(status: 200 | 202, deliveryId: string, events: number): ReceiveResult {
  return json(status, { status: "accepted", message: "Webhook accepted for processing", deliveryId, events });
}

export function duplicate(status: 200 | 202, deliveryId: string, duplicateOf: string): ReceiveResult {
  return json(status, { status: "duplicate", message: "Webhook already received; it is not processed again", deliveryId, duplicateOf });
}

/** Signed but unparseable: acknowledged so the provider does not resend it forever, kept for an operator. */
export function storedUnparseable(status: 200 | 202, deliveryId: string): ReceiveResult {
  return json(status, { status: "unparseable", message: "Webhook stored for review: its body could not be parsed", deliveryId });
}

/** Empty 200: what Xero's intent-to-receive and `direct` successes get. */
export function emptyOk(): ReceiveResult {
  return { status: 200, headers: {}, body: "" };
}

/** 401 has an empty body: Xero's intent to receive requires it, and it tells an attacker nothing. */
export function unauthorized(): ReceiveResult {
  return { status: 401, headers: {}, body: "" };
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): ReceiveResult {
  return json(status, { error: code, message }, headers);
}

/** `direct` mode: the webhook was processed in the request. */
export function processed(deliveryId: string, events: number): ReceiveResult {
  return json(200, { status: "processed", deliveryId, events });
}

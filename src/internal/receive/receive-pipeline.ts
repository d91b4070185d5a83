// The receive pipeline: screen, verify, parse, de-duplicate, then store (or process in `direct` mode) and answer.
import { createHash } from "node:crypto";
import type { ParsedDelivery } from "../../contracts/provider-adapter.ts";
import { WebhookPayloadError, describeError, isWebhookInboxError } from "../../errors.ts";
import { createId } from "../../ids.ts";
import type { ReceiveInput } from "../../receive-input.ts";
import type { NewDelivery, ReceiveResult } from "../../types.ts";
import { newEvents, tenantsOf } from "../new-event.ts";
import { normalizeHeaders, redactHeaders } from "../redact-headers.ts";
import { answer } from "./answer.ts";
import { clampFutureChanges, clampNote } from "./clamp-future.ts";
import { refuseOverloaded } from "./refuse-overloaded.ts";
import { assertJsonDepth } from "./json-depth.ts";
import { logRefused } from "./log-refused.ts";
import type { Integration, ReceiveContext } from "./receive-context.ts";
import { receiveDirect } from "./receive-direct.ts";
import { screenRequest } from "./screen-request.ts";
import { storeDelivery, storeUnavailable } from "./store-delivery.ts";

/**
 * Handles one inbound request. Every outcome is an answer, and every request is logged as a delivery
 * (refused ones with their reason). Throws only for the unforeseen; the caller answers that with 500.
 */
export async function receiveRequest(ctx: ReceiveContext, input: ReceiveInput): Promise<ReceiveResult> {
  const receivedAt = ctx.clock.now();
  const headers = normalizeHeaders(input.headers ?? {});
  const rawBody = input.rawBody ?? new Uint8Array();
  const integration = ctx.integration(input.integration);
  const draft: NewDelivery = {
    id: createId(receivedAt.getTime()),
    // Bounded: the name comes from the URL, and unknown ones are logged too.
    integration: String(input.integration).slice(0, 200),
    provider: integration?.provider.name ?? "unknown",
    tenantIds: [],
    receivedAt,
    headers: redactHeaders(headers),
    rawBody,
    dedupeKey: null,
    status: "rejected",
    reason: null,
    response: null,
  };
  // Bounded before anything waits on the store: beyond it, the body is dropped now instead of queued.
  if (!ctx.inFlight.tryEnter()) return refuseOverloaded(ctx, draft, ctx.inFlight.limit);
  try {
    return await screenAndReceive(ctx, input, integration, draft, headers);
  } finally {
    ctx.inFlight.leave();
  }
}

async function screenAndReceive(
  ctx: ReceiveContext,
  input: ReceiveInput,
  integration: Integration | undefined,
  draft: NewDelivery,
  headers: Record<string, string>,
): Promise<ReceiveResult> {
  const screening = screenRequest({
    integrationId: input.integration,
    integration,
    method: input.method,
    headers,
    rawBody: draft.rawBody,
    truncated: input.truncated,
    unread: input.unread,
    maxBodyBytes: ctx.options.maxBodyBytes,
  });
  if (!screening.passed) return logRefused(ctx, draft, screening.refusal, screening.reason);
  return receiveVerified(ctx, input.integration, screening.integration, draft, headers);
}

async function receiveVerified(
  ctx: ReceiveContext,
  id: string,
  integration: Integration,
  draft: NewDelivery,
  headers: Record<string, string>,
): Promise<ReceiveResult> {
  let parsed: ParsedDelivery;
  try {
    // Before the provider's parser: a body too deep to serialise again must never reach the stores.
    assertJsonDepth(draft.rawBody);
    parsed = integration.provider.parse({ rawBody: draft.rawBody, headers, receivedAt: draft.receivedAt });
  } catch (error) {
    // Signed but unreadable: keep it whole and acknowledge (a 4xx makes QuickBooks resend the batch and hold back later ones).
    const reason = error instanceof WebhookPayloadError || isWebhookInboxError(error) ? error.message : `parse failed: ${describeError(error)}`;
    const response = answer({ kind: "unparseable", status: integration.acceptedStatus, deliveryId: draft.id }, integration.provider);
    const delivery: NewDelivery = { ...draft, status: "unparseable", reason, dedupeKey: `${id}:raw:${sha256(draft.rawBody)}`, response };
    return storeDelivery(ctx, delivery, [], response, integration);
  }
  // A change dated beyond the tolerance into the future would outrank every real change of its entity until then.
  const tolerance = ctx.options.futureOccurredAtToleranceMs;
  const dated = clampFutureChanges(parsed.events, draft.receivedAt, tolerance);
  if (dated.clamped > 0) {
    parsed = { ...parsed, events: dated.events };
    ctx.logger.warn(`clamped ${dated.clamped} change(s) dated more than ${tolerance} ms in the future to the receive time`, {
      integration: id,
      deliveryId: draft.id,
    });
  }
  const clamping = clampNote(dated.clamped, tolerance);
  // Entries that could not be parsed while their neighbours could: kept first, as an unparseable
  // delivery of their own, so nothing acknowledged is lost if the main insert then fails (a resend finds it stored).
  let rejectedNote = "";
  if (parsed.rejected !== undefined && parsed.events.length > 0) {
    const kept = await storeRejectedEntries(ctx, id, integration, draft, parsed.rejected);
    if (typeof kept !== "string") return kept;
    rejectedNote = `; ${parsed.rejected.entries} unreadable ${parsed.rejected.entries === 1 ? "entry" : "entries"} kept as unparseable delivery ${kept}`;
  }
  // Scoped by integration: two integrations of one provider (two apps on one company, each with its
  // own handler) each receive the change; only a resend to the same integration is a duplicate.
  const tenantIds = tenantsOf(parsed.events);
  const dedupeKey = `${id}:${parsed.dedupeKey}`;
  if (parsed.handshake) {
    const response = answer({ kind: "handshake", deliveryId: draft.id }, integration.provider);
    return storeDelivery(ctx, decided(draft, tenantIds, null, "accepted", "handshake", response), [], response, integration);
  }
  const mode = ctx.effectiveMode(id);
  if (mode === "direct") {
    return receiveDirect(ctx, id, integration, decided(draft, tenantIds, dedupeKey, "processed", clamping || null, null), parsed.events);
  }
  const events = newEvents(id, integration, draft, parsed.events, mode, ctx.options.maxAttempts);
  const response = answer({ kind: "accepted", status: integration.acceptedStatus, deliveryId: draft.id, events: events.length }, integration.provider);
  // The log says what was decided even when the provider's rule wants an empty body (Xero).
  const reason = ACCEPTED_REASON + rejectedNote + (clamping ? `; ${clamping}` : "");
  const result = await storeDelivery(ctx, decided(draft, tenantIds, dedupeKey, "accepted", reason, response), events, response, integration);
  if (result.status < 300 && mode === "immediate") ctx.wakeForImmediate();
  return result;
}

/**
 * Stores the unreadable entries of a delivery as an `unparseable` delivery (its body: those entries
 * in the provider's format), visible in the log and re-processable once the cause is fixed. Returns
 * its id, or the 503 answer when the store cannot keep it.
 */
async function storeRejectedEntries(
  ctx: ReceiveContext,
  integrationId: string,
  integration: Integration,
  draft: NewDelivery,
  rejected: NonNullable<ParsedDelivery["rejected"]>,
): Promise<string | ReceiveResult> {
  const childId = createId(draft.receivedAt.getTime());
  const child: NewDelivery = {
    ...draft,
    id: childId,
    rawBody: rejected.rawBody,
    status: "unparseable",
    reason: `${rejected.entries} ${rejected.entries === 1 ? "entry" : "entries"} of delivery ${draft.id} could not be parsed (this body holds only them, re-serialised): ${rejected.reason}`,
    dedupeKey: `${integrationId}:rejected:${sha256(rejected.rawBody)}`,
    response: answer({ kind: "unparseable", status: integration.acceptedStatus, deliveryId: childId }, integration.provider),
  };
  try {
    await ctx.ensureReady();
    const result = await ctx.store.insertDelivery({ delivery: child, events: [] });
    return result.status === "duplicate" ? result.duplicateOf : childId;
  } catch (error) {
    return storeUnavailable(ctx, child, error);
  }
}

/** The delivery as decided, field by field (one stable shape, no spread of the draft on the hot path). */
function decided(
  draft: NewDelivery,
  tenantIds: readonly string[],
  dedupeKey: string | null,
  status: NewDelivery["status"],
  reason: string | null,
  response: ReceiveResult | null,
): NewDelivery {
  return {
    id: draft.id,
    integration: draft.integration,
    provider: draft.provider,
    tenantIds,
    receivedAt: draft.receivedAt,
    headers: draft.headers,
    rawBody: draft.rawBody,
    dedupeKey,
    status,
    reason,
    response,
  };
}

/** The reason an accepted delivery is logged with, whatever its acknowledgement's body. */
export const ACCEPTED_REASON = "accepted for processing";

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 32);
}

import { z } from "zod";
import type { ParsedEvent } from "../../src/index.ts";
import { dateTimeOrEpochMsSchema, isPlainRecord, parseIsoDateTime, quickText } from "../../src/provider-kit/index.ts";
import { canonicalEntityName, canonicalOperation, isDeleteOperation } from "./entity-names.ts";
import { entryProblem, idText, parseOrThrow, quickIdText } from "./payload-schema.ts";

const entitySchema = z.looseObject({
  name: z.string().trim().min(1, { error: "must be a non-empty string" }),
  id: idText,
  operation: z.string().trim().min(1, { error: "must be a non-empty string" }),
  // ISO text in Intuit's samples; "epoch milliseconds or varied timestamp format" per Intuit's webinar Q&A.
  lastUpdated: dateTimeOrEpochMsSchema,
  // Merge events name the merged-away entity (intuit/QuickBooks-V3-Java-SDK PR #162, QuickBooks-V3-PHP-SDK PR #339).
  deletedId: idText.optional(),
});

const classicSchema = z.looseObject({
  eventNotifications: z.array(
    z.looseObject({
      realmId: idText,
      // Entities are checked one by one, so one odd entry never sinks its neighbours.
      dataChangeEvent: z.looseObject({ entities: z.array(z.unknown()) }),
    }),
  ),
});

/** One entity change of a classic payload, with the key it contributes to the delivery's dedupe key. */
export interface ParsedChange {
  readonly events: readonly ParsedEvent[];
  readonly dedupeParts: readonly string[];
  /** Entries that could not be parsed: a body of the same format holding only them, and why. */
  readonly rejected?: { readonly body: unknown; readonly reasons: readonly string[] };
}

/**
 * Classic format: `{ eventNotifications: [{ realmId, dataChangeEvent: { entities: [...] } }] }`.
 * Every entity becomes an event routed to its own realm; a Merge with a `deletedId` also yields a
 * deleted event for the merged-away entity.
 */
export function parseClassic(body: unknown): ParsedChange {
  const notifications = quickNotifications(body) ?? parseOrThrow(classicSchema, body, "classic").eventNotifications;
  const events: ParsedEvent[] = [];
  const dedupeParts: string[] = [];
  const reasons: string[] = [];
  const rejectedByRealm = new Map<string, unknown[]>();
  for (let n = 0; n < notifications.length; n += 1) {
    const { realmId, dataChangeEvent } = notifications[n]!;
    const entities = dataChangeEvent.entities;
    for (let e = 0; e < entities.length; e += 1) {
      const asSent = entities[e];
      let entity = quickEntity(asSent);
      if (entity === undefined) {
        const checked = entryProblem(entitySchema, asSent, ["eventNotifications", n, "dataChangeEvent", "entities", e]);
        if ("reason" in checked) {
          reasons.push(`quickbooks classic payload: ${checked.reason}`);
          rejectedByRealm.set(realmId, [...(rejectedByRealm.get(realmId) ?? []), asSent]);
          continue;
        }
        entity = checked.data;
      }
      const entityType = canonicalEntityName(entity.name);
      const operation = canonicalOperation(entity.operation);
      // Classic payloads have no event id: Intuit's advice is (realm, name, id, operation, lastUpdated).
      dedupeParts.push(`classic\u001f${realmId}\u001f${entityType}\u001f${entity.id}\u001f${operation}\u001f${entity.lastUpdated.toISOString()}`);
      pushChangeEvents(events, {
        format: "classic",
        tenantId: realmId,
        entityType,
        entityId: entity.id,
        operation,
        occurredAt: entity.lastUpdated,
        mergedAwayId: entity.deletedId,
        asSent: { realmId, ...(asSent as object) },
      });
    }
  }
  if (reasons.length === 0) return { events, dedupeParts };
  const rejectedBody = {
    eventNotifications: [...rejectedByRealm].map(([realmId, entities]) => ({ realmId, dataChangeEvent: { entities } })),
  };
  return { events, dedupeParts, rejected: { body: rejectedBody, reasons } };
}

interface ClassicEntity {
  readonly name: string;
  readonly id: string;
  readonly operation: string;
  readonly lastUpdated: Date;
  readonly deletedId?: string | undefined;
}

/** `classicSchema`'s notifications when the envelope is plainly valid; undefined sends it through zod. */
function quickNotifications(body: unknown): { realmId: string; dataChangeEvent: { entities: unknown[] } }[] | undefined {
  if (!isPlainRecord(body) || !Array.isArray(body.eventNotifications)) return undefined;
  const out: { realmId: string; dataChangeEvent: { entities: unknown[] } }[] = [];
  for (const notification of body.eventNotifications as unknown[]) {
    if (!isPlainRecord(notification)) return undefined;
    const realmId = quickIdText(notification.realmId);
    const change = notification.dataChangeEvent;
    if (realmId === undefined || !isPlainRecord(change) || !Array.isArray(change.entities)) return undefined;
    out.push({ realmId, dataChangeEvent: { entities: change.entities } });
  }
  return out;
}

/** `entitySchema`'s output for an entity that is plainly valid; undefined sends it through zod (which words any error). */
function quickEntity(value: unknown): ClassicEntity | undefined {
  if (!isPlainRecord(value)) return undefined;
  const name = quickText(value.name);
  const id = quickIdText(value.id);
  const operation = quickText(value.operation);
  // ISO text only: epoch milliseconds (numbers or digit strings) are left to the schema.
  const sent = value.lastUpdated;
  const lastUpdated = typeof sent === "string" && !/^\s*\d{1,15}\s*$/.test(sent) ? parseIsoDateTime(sent) : undefined;
  if (name === undefined || id === undefined || operation === undefined || lastUpdated === undefined) return undefined;
  if (value.deletedId === undefined) return { name, id, operation, lastUpdated };
  const deletedId = quickIdText(value.deletedId);
  return deletedId === undefined ? undefined : { name, id, operation, lastUpdated, deletedId };
}

/** What one change of either format says. */
export interface ChangeInput {
  format: "classic" | "cloudevents";
  tenantId: string;
  entityType: string;
  entityId: string;
  operation: string;
  occurredAt: Date;
  mergedAwayId: string | undefined;
  asSent: unknown;
  /** Why `occurredAt` is not the provider's own time, when it is not. */
  timeNote?: string;
}

/** Shared by both formats: one event per change, plus the merged-away entity of a Merge, appended to `events`. */
export function pushChangeEvents(events: ParsedEvent[], change: ChangeInput): void {
  const { format, tenantId, entityType, entityId, operation, occurredAt, mergedAwayId, asSent, timeNote } = change;
  const merged = operation === "Merge" && mergedAwayId !== undefined && mergedAwayId !== entityId;
  events.push({
    tenantId,
    entityType,
    entityId,
    operation,
    // A Merge keeps the named entity (it absorbed the other): fetch it. Delete removes it.
    deleted: isDeleteOperation(operation),
    occurredAt,
    payload: eventPayload(format, asSent, timeNote, merged ? { mergedAwayId } : undefined),
  });
  if (merged) {
    events.push({
      tenantId,
      entityType,
      entityId: mergedAwayId,
      operation,
      deleted: true,
      occurredAt,
      payload: eventPayload(format, asSent, timeNote, { mergedInto: entityId }),
    });
  }
}

/** `{ format, [mergedAwayId | mergedInto], event, [occurredAtNote] }`, in that key order. */
function eventPayload(
  format: ChangeInput["format"],
  asSent: unknown,
  timeNote: string | undefined,
  merge: { mergedAwayId: string } | { mergedInto: string } | undefined,
): Record<string, unknown> {
  if (merge === undefined) return timeNote === undefined ? { format, event: asSent } : { format, event: asSent, occurredAtNote: timeNote };
  const payload = { format, ...merge, event: asSent };
  return timeNote === undefined ? payload : { ...payload, occurredAtNote: timeNote };
}

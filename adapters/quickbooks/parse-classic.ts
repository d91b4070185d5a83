import { z } from "zod";
import type { ParsedEvent } from "../../src/index.ts";
import { dateTimeOrEpochMsSchema } from "../../src/provider-kit/index.ts";
import { canonicalEntityName, canonicalOperation, isDeleteOperation } from "./entity-names.ts";
import { entryProblem, idText, parseOrThrow } from "./payload-schema.ts";

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
  const parsed = parseOrThrow(classicSchema, body, "classic");
  const events: ParsedEvent[] = [];
  const dedupeParts: string[] = [];
  const reasons: string[] = [];
  const rejectedByRealm = new Map<string, unknown[]>();
  parsed.eventNotifications.forEach((notification, n) => {
    notification.dataChangeEvent.entities.forEach((asSent, e) => {
      const checked = entryProblem(entitySchema, asSent, ["eventNotifications", n, "dataChangeEvent", "entities", e]);
      if ("reason" in checked) {
        reasons.push(`quickbooks classic payload: ${checked.reason}`);
        rejectedByRealm.set(notification.realmId, [...(rejectedByRealm.get(notification.realmId) ?? []), asSent]);
        return;
      }
      const entity = checked.data;
      const entityType = canonicalEntityName(entity.name);
      const operation = canonicalOperation(entity.operation);
      // Classic payloads have no event id: Intuit's advice is (realm, name, id, operation, lastUpdated).
      dedupeParts.push(["classic", notification.realmId, entityType, entity.id, operation, entity.lastUpdated.toISOString()].join("\u001f"));
      events.push(
        ...changeEvents({
          format: "classic",
          tenantId: notification.realmId,
          entityType,
          entityId: entity.id,
          operation,
          occurredAt: entity.lastUpdated,
          mergedAwayId: entity.deletedId,
          asSent: { realmId: notification.realmId, ...(asSent as object) },
        }),
      );
    });
  });
  if (reasons.length === 0) return { events, dedupeParts };
  const rejectedBody = {
    eventNotifications: [...rejectedByRealm].map(([realmId, entities]) => ({ realmId, dataChangeEvent: { entities } })),
  };
  return { events, dedupeParts, rejected: { body: rejectedBody, reasons } };
}

/** Shared by both formats: one event per change, plus the merged-away entity of a Merge. */
export function changeEvents(change: {
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
}): ParsedEvent[] {
  const { format, tenantId, entityType, entityId, operation, occurredAt, mergedAwayId, asSent, timeNote } = change;
  const note = timeNote === undefined ? {} : { occurredAtNote: timeNote };
  const merged = operation === "Merge" && mergedAwayId !== undefined && mergedAwayId !== entityId;
  const events: ParsedEvent[] = [
    {
      tenantId,
      entityType,
      entityId,
      operation,
      // A Merge keeps the named entity (it absorbed the other): fetch it. Delete removes it.
      deleted: isDeleteOperation(operation),
      occurredAt,
      payload: merged ? { format, mergedAwayId, event: asSent, ...note } : { format, event: asSent, ...note },
    },
  ];
  if (merged) {
    events.push({
      tenantId,
      entityType,
      entityId: mergedAwayId,
      operation,
      deleted: true,
      occurredAt,
      payload: { format, mergedInto: entityId, event: asSent, ...note },
    });
  }
  return events;
}

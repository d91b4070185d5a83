// Type tests of the public option and event types, checked by vitest's typecheck mode (tsc), never run.
import { describe, expectTypeOf, it } from "vitest";
import type { AttemptRecord, DeliverySummary, EventRecord, InboxEventMap, WebhookInboxOptions, WebhookInboxErrorCode, WebhookProcessor } from "webhook-inbox";
import type { PgPoolLike, PostgresStoreOptions } from "webhook-inbox/postgres";

describe("WebhookInboxOptions", () => {
  it("needs a store and integrations; everything with a default is optional", () => {
    expectTypeOf<WebhookInboxOptions>().toHaveProperty("store");
    expectTypeOf<WebhookInboxOptions>().toHaveProperty("integrations");
    expectTypeOf<{ integrations: WebhookInboxOptions["integrations"] }>().not.toExtend<WebhookInboxOptions>();
    expectTypeOf<WebhookInboxOptions["maxAttempts"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<WebhookInboxOptions["serviceEnabled"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<WebhookInboxOptions["maxBodyBytes"]>().toEqualTypeOf<number | undefined>();
  });

  it("integrations name a mode among direct, immediate and delayed", () => {
    type Integration = WebhookInboxOptions["integrations"][string];
    expectTypeOf<NonNullable<Integration["mode"]>>().toEqualTypeOf<"direct" | "immediate" | "delayed">();
    expectTypeOf<Integration["acceptedStatus"]>().toEqualTypeOf<200 | 202 | undefined>();
  });

  it("retryDelay is a function of the attempt or backoff options", () => {
    expectTypeOf<(attempt: number) => number>().toExtend<NonNullable<WebhookInboxOptions["retryDelay"]>>();
    expectTypeOf<"soon">().not.toExtend<NonNullable<WebhookInboxOptions["retryDelay"]>>();
  });
});

describe("InboxEventMap payloads", () => {
  type Payload<K extends keyof InboxEventMap> = Parameters<InboxEventMap[K]>[0];

  it("each event carries what its listener needs", () => {
    expectTypeOf<Payload<"delivery:received">>().toEqualTypeOf<{ delivery: DeliverySummary }>();
    expectTypeOf<Payload<"delivery:rejected">>().toEqualTypeOf<{ delivery: DeliverySummary; code: WebhookInboxErrorCode; reason: string }>();
    expectTypeOf<Payload<"event:processed">>().toEqualTypeOf<{ event: EventRecord; attempt: AttemptRecord; durationMs: number }>();
    expectTypeOf<Payload<"event:retry-scheduled">["nextAttemptAt"]>().toEqualTypeOf<Date>();
    expectTypeOf<Payload<"event:rate-limited">["limit"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Payload<"event:stale">["supersededBy"]>().toEqualTypeOf<string>();
  });

  it("inbox.on types the listener by the event's name", () => {
    expectTypeOf<WebhookProcessor["on"]>().toBeCallableWith("event:failed", (payload: { event: EventRecord; attempt: AttemptRecord; error: string }) => {
      expectTypeOf(payload.error).toBeString();
    });
    // @ts-expect-error: an unknown event name
    (null as unknown as WebhookProcessor).on("event:unknown", () => {});
  });
});

describe("PostgresStoreOptions", () => {
  it("takes exactly one of a pool (yours) or a connection string (the store's own pool)", () => {
    const pool = null as unknown as PgPoolLike;
    expectTypeOf({ pool }).toExtend<PostgresStoreOptions>();
    expectTypeOf({ connectionString: "postgres://localhost/db", max: 5 }).toExtend<PostgresStoreOptions>();
    expectTypeOf<{ schema: string }>().not.toExtend<PostgresStoreOptions>();
    expectTypeOf<{ max: number }>().not.toExtend<PostgresStoreOptions>();
  });
});

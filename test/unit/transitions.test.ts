import { describe, expect, it } from "vitest";
import type { ClaimedEvent } from "webhook-inbox";
import { type TransitionPolicy, type Verdict, transition } from "../../src/internal/pass/transitions.ts";

const T0 = new Date("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const NOW = at(60_000);
const STARTED = at(59_000);
const RESOURCE = { data: { id: "1" }, downloadedAt: at(58_000) };

const policy: TransitionPolicy = { retryDelay: (attempt) => attempt * 10_000, maxRateLimitWaitMs: 3_600_000 };

function claimed(overrides: Partial<ClaimedEvent> = {}): ClaimedEvent {
  return {
    id: "0190-e1",
    deliveryId: "0190-d1",
    integration: "acme",
    provider: "test",
    tenantId: "t1",
    entityType: "invoice",
    entityId: "1",
    operation: "update",
    deleted: false,
    occurredAt: T0,
    receivedAt: T0,
    mode: "immediate",
    status: "processing",
    maxAttempts: 3,
    nextAttemptAt: T0,
    nextTrigger: "scheduler",
    payload: null,
    attemptsMade: 0,
    attemptsStarted: 1,
    attemptsFinished: 0,
    lastError: null,
    supersededBy: null,
    updatedAt: T0,
    leaseToken: "lease-1",
    ...overrides,
  } as ClaimedEvent;
}

interface Row {
  readonly name: string;
  readonly event: Partial<ClaimedEvent>;
  readonly verdict: Verdict;
  readonly expect: {
    readonly status: string;
    readonly attemptsMade: number;
    readonly nextAttemptAt: Date | null;
    readonly nextTrigger: string;
    readonly lastError: string | null;
    /** The recorded attempt's outcome; null when nothing is recorded. */
    readonly attempt: string | null;
    readonly announcements: readonly string[];
  };
}

const failedVerdict = (retryable: boolean): Verdict => ({ kind: "failed", startedAt: STARTED, error: "boom", retryable, resource: RESOURCE });
const throttled: Verdict = { kind: "rate-limited", startedAt: STARTED, retryAt: at(120_000), retryAfterMs: 60_000, limit: "minute" };

const rows: Row[] = [
  {
    name: "success spends an automatic attempt and advances nothing else",
    event: {},
    verdict: { kind: "succeeded", startedAt: STARTED, resource: RESOURCE, note: null },
    expect: {
      status: "succeeded",
      attemptsMade: 1,
      nextAttemptAt: null,
      nextTrigger: "scheduler",
      lastError: null,
      attempt: "succeeded",
      announcements: ["event:processed"],
    },
  },
  {
    name: "a manual success spends no automatic attempt and keeps its trigger",
    event: { nextTrigger: "manual", attemptsMade: 3, lastError: "old" },
    verdict: { kind: "succeeded", startedAt: STARTED, resource: RESOURCE, note: "confirmed missing" },
    expect: {
      status: "succeeded",
      attemptsMade: 3,
      nextAttemptAt: null,
      nextTrigger: "manual",
      lastError: null,
      attempt: "succeeded",
      announcements: ["event:processed"],
    },
  },
  {
    name: "a retryable failure with attempts left is retried after the policy's delay",
    event: { attemptsMade: 1 },
    verdict: failedVerdict(true),
    expect: {
      status: "retrying",
      attemptsMade: 2,
      nextAttemptAt: at(60_000 + 20_000),
      nextTrigger: "scheduler",
      lastError: "boom",
      attempt: "failed",
      announcements: ["event:failed", "event:retry-scheduled"],
    },
  },
  {
    name: "the last automatic attempt failing exhausts the event",
    event: { attemptsMade: 2 },
    verdict: failedVerdict(true),
    expect: {
      status: "failed",
      attemptsMade: 3,
      nextAttemptAt: null,
      nextTrigger: "scheduler",
      lastError: "boom",
      attempt: "failed",
      announcements: ["event:failed", "event:exhausted"],
    },
  },
  {
    name: "a failure that is not retryable ends the event at its first attempt",
    event: {},
    verdict: failedVerdict(false),
    expect: {
      status: "failed",
      attemptsMade: 1,
      nextAttemptAt: null,
      nextTrigger: "scheduler",
      lastError: "boom",
      attempt: "failed",
      announcements: ["event:failed", "event:exhausted"],
    },
  },
  {
    name: "a manual failure spends nothing and goes back to the scheduler",
    event: { nextTrigger: "manual", attemptsMade: 1 },
    verdict: failedVerdict(true),
    expect: {
      status: "retrying",
      attemptsMade: 1,
      nextAttemptAt: at(60_000 + 10_000),
      nextTrigger: "scheduler",
      lastError: "boom",
      attempt: "failed",
      announcements: ["event:failed", "event:retry-scheduled"],
    },
  },
  {
    name: "stale spends nothing and names what superseded it",
    event: { attemptsMade: 1 },
    verdict: { kind: "stale", startedAt: STARTED, supersededBy: "0190-e2", reason: "older", resource: RESOURCE },
    expect: {
      status: "stale",
      attemptsMade: 1,
      nextAttemptAt: null,
      nextTrigger: "scheduler",
      lastError: null,
      attempt: "stale",
      announcements: ["event:stale"],
    },
  },
  {
    name: "a release records no attempt and keeps a never-attempted event queued",
    event: {},
    verdict: { kind: "released", at: at(61_000) },
    expect: { status: "queued", attemptsMade: 0, nextAttemptAt: at(61_000), nextTrigger: "scheduler", lastError: null, attempt: null, announcements: [] },
  },
  {
    name: "a released manual retry stays manual and keeps its last error",
    event: { nextTrigger: "manual", attemptsMade: 2, lastError: "earlier" },
    verdict: { kind: "released", at: NOW },
    expect: { status: "retrying", attemptsMade: 2, nextAttemptAt: NOW, nextTrigger: "manual", lastError: "earlier", attempt: null, announcements: [] },
  },
  {
    name: "a throttle within the maximum wait spends nothing and waits for the provider's time",
    event: { nextTrigger: "receive" },
    verdict: throttled,
    expect: {
      status: "queued",
      attemptsMade: 0,
      nextAttemptAt: at(120_000),
      nextTrigger: "scheduler",
      lastError: null,
      attempt: "rate_limited",
      announcements: ["event:rate-limited"],
    },
  },
  {
    name: "a throttle past the maximum wait since arrival spends an attempt as a failure",
    event: { receivedAt: at(-3_600_001) },
    verdict: throttled,
    expect: {
      status: "retrying",
      attemptsMade: 1,
      nextAttemptAt: at(60_000 + 10_000),
      nextTrigger: "scheduler",
      lastError: "still rate limited after waiting 3600000 ms in all",
      attempt: "failed",
      announcements: ["event:failed", "event:retry-scheduled"],
    },
  },
  {
    name: "a manual retry is never cut short by the maximum wait",
    event: { receivedAt: at(-3_600_001), nextTrigger: "manual", attemptsMade: 3 },
    verdict: throttled,
    expect: {
      status: "retrying",
      attemptsMade: 3,
      nextAttemptAt: at(120_000),
      nextTrigger: "manual",
      lastError: null,
      attempt: "rate_limited",
      announcements: ["event:rate-limited"],
    },
  },
];

describe("transition(event, verdict, policy, now)", () => {
  it.each(rows)("$name", ({ event, verdict, expect: expected }) => {
    const claimedEvent = claimed(event);
    const { finish, announcements } = transition(claimedEvent, verdict, policy, NOW);
    expect({
      status: finish.status,
      attemptsMade: finish.attemptsMade,
      nextAttemptAt: finish.nextAttemptAt,
      nextTrigger: finish.nextTrigger,
      lastError: finish.lastError,
      attempt: finish.attempt?.outcome ?? null,
      announcements: announcements.map((announcement) => announcement.name),
    }).toEqual(expected);
    expect(finish).toMatchObject({ eventId: claimedEvent.id, leaseToken: claimedEvent.leaseToken, now: NOW });
    if (finish.attempt) expect(finish.attempt).toMatchObject({ trigger: claimedEvent.nextTrigger, endedAt: NOW });
  });

  it("a success advances the watermark to this event and its download", () => {
    const { finish } = transition(claimed(), { kind: "succeeded", startedAt: STARTED, resource: RESOURCE, note: null }, policy, NOW);
    expect(finish.watermark).toEqual({
      integration: "acme",
      tenantId: "t1",
      entityType: "invoice",
      entityId: "1",
      occurredAt: T0,
      eventId: "0190-e1",
      downloadedAt: RESOURCE.downloadedAt,
    });
    expect(finish.resource).toEqual(RESOURCE);
  });

  it("announces the attempts remaining with a scheduled retry, and the throttle's limit", () => {
    expect(transition(claimed({ attemptsMade: 1 }), failedVerdict(true), policy, NOW).announcements[1]).toEqual({
      name: "event:retry-scheduled",
      nextAttemptAt: at(80_000),
      attemptsRemaining: 1,
    });
    expect(transition(claimed(), throttled, policy, NOW).announcements).toEqual([
      { name: "event:rate-limited", tenantId: "t1", retryAfterMs: 60_000, limit: "minute" },
    ]);
  });

  it("is pure: the same input gives the same output and the event is not changed", () => {
    const event = claimed({ attemptsMade: 1 });
    const copy = structuredClone(event);
    expect(transition(event, failedVerdict(true), policy, NOW)).toEqual(transition(event, failedVerdict(true), policy, NOW));
    expect(event).toEqual(copy);
  });
});

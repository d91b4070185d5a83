// A shared budget's refusal that ends within a few ms is waited out inside the pass and asked again,
// instead of handing the event back to a later pass; a longer refusal (or a clock that does not
// follow real time) hands it back at once, with the budget's exact "retry at".
import { describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox, type Clock, type RateBudget, type ReserveCallsInput, type WebhookStore } from "webhook-inbox";
import { ManualClock, TestApi, testProvider, testWebhook } from "webhook-inbox/testing";

const SECRET = "shared-budget-short-wait";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A budget that refuses the first `refusals` reservations until `now + refuseForMs`, then grants every one. */
function scriptedBudget(refusals: number, refuseForMs: number) {
  const asked: ReserveCallsInput[] = [];
  const ended: string[] = [];
  const budget: RateBudget = {
    async reserveCalls(input) {
      asked.push(input);
      if (asked.length <= refusals) return { granted: false, retryAt: new Date(input.now.getTime() + refuseForMs), budgets: [] };
      return { granted: true, token: String(asked.length), budgets: [] };
    },
    async endCalls(input) {
      ended.push(input.token);
    },
    async pause() {},
    async budgets() {
      return [];
    },
  };
  return { budget, asked, ended };
}

function withBudget(store: MemoryStore, budget: RateBudget): WebhookStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === "rateBudget") return budget;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as WebhookStore;
}

async function run(budget: RateBudget, clock?: Clock) {
  const api = new TestApi().set("t1", "invoice", "a", { n: 1 });
  const inbox = createWebhookInbox({
    store: withBudget(new MemoryStore(), budget),
    ...(clock ? { clock } : {}),
    logger: quiet,
    integrations: { acme: { provider: testProvider({ secret: SECRET, api }), mode: "delayed", delayMs: 0 } },
    handler: () => {},
  });
  const now = (clock ?? { now: () => new Date() }).now();
  const { body, headers } = testWebhook(SECRET, [{ tenantId: "t1", entityType: "invoice", entityId: "a", occurredAt: now.toISOString() }], "a");
  expect((await inbox.receive({ integration: "acme", rawBody: Buffer.from(body), headers })).status).toBe(202);
  await inbox.drain();
  const events = (await inbox.listEvents({})).items;
  await inbox.stop();
  return { api, events };
}

describe("a shared budget's refusal that ends within a few ms", () => {
  it("is waited out in the pass: the call is made in the same drain, after asking the budget again", async () => {
    const { budget, asked, ended } = scriptedBudget(2, 3);
    const { api, events } = await run(budget);
    expect(api.calls).toHaveLength(1);
    expect(asked).toHaveLength(3);
    expect(ended).toEqual(["3"]);
    expect(events).toMatchObject([{ entityId: "a", status: "succeeded", attemptsMade: 1 }]);
  });

  it("is asked again a bounded number of times, then the event is handed back with the budget's retry-at, no call made", async () => {
    const { budget, asked } = scriptedBudget(1_000, 2);
    const { api, events } = await run(budget);
    expect(api.calls).toHaveLength(0);
    // The first answer and three short waits: the pass is held up by at most three of them.
    expect(asked).toHaveLength(4);
    expect(events).toMatchObject([{ entityId: "a", status: "queued", attemptsMade: 0 }]);
    expect(events[0]!.nextAttemptAt.getTime()).toBe(asked[3]!.now.getTime() + 2);
  });
});

describe("a shared budget's refusal that does not end within a few ms", () => {
  it("hands the event back at once with the budget's exact retry-at, asking once", async () => {
    const { budget, asked } = scriptedBudget(1, 60_000);
    const { api, events } = await run(budget);
    expect(api.calls).toHaveLength(0);
    expect(asked).toHaveLength(1);
    expect(events).toMatchObject([{ entityId: "a", status: "queued", attemptsMade: 0 }]);
    expect(events[0]!.nextAttemptAt.getTime()).toBe(asked[0]!.now.getTime() + 60_000);
  });

  it("on a clock that does not follow real time (a manual clock), a short refusal is not waited out twice: the event is handed back", async () => {
    const clock = new ManualClock();
    const { budget, asked } = scriptedBudget(1, 3);
    const { api, events } = await run(budget, clock);
    expect(api.calls).toHaveLength(0);
    expect(asked).toHaveLength(1);
    expect(events).toMatchObject([{ entityId: "a", status: "queued", attemptsMade: 0 }]);
    expect(events[0]!.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 3);
  });
});

// What a rejected signature tells the operator: which case it is and which option to check.
import { describe, expect, it } from "vitest";
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { signQuickBooks, signXero } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";

const getAccessToken = async () => "token";
const body = JSON.stringify({ eventNotifications: [] });

describe.each([
  {
    name: "QuickBooks",
    header: "intuit-signature",
    option: "verifierToken",
    provider: quickbooks({ verifierToken: "right", getAccessToken }),
    sign: signQuickBooks,
  },
  { name: "Xero", header: "x-xero-signature", option: "webhookKey", provider: xero({ webhookKey: "right", getAccessToken }), sign: signXero },
])("$name signature failures", ({ name, header, option, provider, sign }) => {
  it("answer 401 with an empty body and log whether the header was missing or did not match, naming the option", async () => {
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      integrations: { p: { provider } },
      handler: async () => {},
      logger: { warn() {}, error() {}, info() {}, debug() {} },
    });
    const rawBody = new TextEncoder().encode(body);
    const missing = await inbox.receive({ integration: "p", rawBody, headers: { "content-type": "application/json" } });
    const wrong = await inbox.receive({
      integration: "p",
      rawBody,
      headers: { "content-type": "application/json", [header]: sign(rawBody, "the-sandbox-key") },
    });
    for (const answer of [missing, wrong]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toBe("");
    }
    const reasons = (await inbox.listDeliveries({ integration: "p", status: "rejected" })).items.map((delivery) => delivery.reason).sort();
    expect(reasons).toHaveLength(2);
    const [isMissing, notMatching] = reasons[0]!.includes("is missing") ? reasons : [reasons[1], reasons[0]];
    expect(isMissing).toBe(
      `signature header ${header} is missing: ${name} signs every webhook, so this request did not come from ${name} or a proxy dropped the header`,
    );
    expect(notMatching).toContain(`signature header ${header} is present but does not match the body`);
    expect(notMatching).toContain(`check \`${option}\``);
    expect(notMatching).toContain("sandbox and production apps have different keys");
  });
});

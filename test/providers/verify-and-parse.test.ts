/**
 * quickbooks.verifyAndParse / xero.verifyAndParse, for hosts that write their own receiver: the
 * fixtures' signed bodies come back as events; a missing or wrong signature, an unreadable body and
 * bad input throw the library's typed errors with their codes.
 */
import { describe, expect, it } from "vitest";
import { WebhookConfigError, WebhookPayloadError, WebhookVerificationError, isWebhookInboxError } from "webhook-inbox";
import { quickbooks, verifyAndParseQuickBooks } from "webhook-inbox/quickbooks";
import { signQuickBooks } from "webhook-inbox/testing";
import { verifyAndParseXero, xero } from "webhook-inbox/xero";
import { signatureVectors } from "./fixtures.ts";

const vector = (id: string) => signatureVectors.find((candidate) => candidate.id === id)!;

/** The error `run` throws (it must throw). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

describe("quickbooks.verifyAndParse", () => {
  it("returns the events of a signed classic body, from a string or the bytes, whatever the header's case", () => {
    const v = vector("QBO-1");
    const fromString = quickbooks.verifyAndParse({ body: v.body, headers: { "Intuit-Signature": v.expected }, verifierToken: v.key });
    expect(fromString.events).toEqual([
      expect.objectContaining({
        tenantId: "310687",
        entityType: "Account",
        entityId: "1234",
        operation: "Create",
        deleted: false,
        occurredAt: new Date("2025-09-08T20:52:31.657Z"),
      }),
    ]);
    expect(fromString.dedupeKey).toMatch(/^quickbooks:[0-9a-f]{64}$/);
    const fromBytes = verifyAndParseQuickBooks({ body: Buffer.from(v.body), headers: new Headers({ "intuit-signature": v.expected }), verifierToken: v.key });
    expect(fromBytes).toEqual(fromString);
    expect(quickbooks.verifyAndParse).toBe(verifyAndParseQuickBooks);
  });

  it("parses a CloudEvents body (entity type as QuickBooks names it)", () => {
    const v = vector("QBO-3");
    const { events } = quickbooks.verifyAndParse({ body: v.body, headers: { [v.header]: v.expected }, verifierToken: v.key });
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.entityType).toMatch(/^[A-Z][A-Za-z]+$/);
  });

  it("throws WebhookVerificationError (SIGNATURE_INVALID, 401) saying whether the header is missing or does not match", () => {
    const v = vector("QBO-1");
    const missing = thrown(() => quickbooks.verifyAndParse({ body: v.body, headers: {}, verifierToken: v.key }));
    expect(missing).toBeInstanceOf(WebhookVerificationError);
    expect(missing).toMatchObject({ code: "SIGNATURE_INVALID", status: 401, message: expect.stringContaining("signature header intuit-signature is missing") });
    const wrongKey = thrown(() => quickbooks.verifyAndParse({ body: v.body, headers: { [v.header]: v.expected }, verifierToken: "the-sandbox-token" }));
    expect(wrongKey).toMatchObject({ code: "SIGNATURE_INVALID", message: expect.stringContaining("does not match the body: check `verifierToken`") });
    // Re-serialised JSON is other bytes: the signature no longer matches.
    const reserialised = JSON.stringify(JSON.parse(v.body));
    expect(thrown(() => quickbooks.verifyAndParse({ body: reserialised, headers: { [v.header]: v.expected }, verifierToken: v.key }))).toBeInstanceOf(
      WebhookVerificationError,
    );
  });

  it("throws WebhookPayloadError (PAYLOAD_INVALID) for a signed body it cannot read", () => {
    const body = '{"neither":"format"}';
    const headers = { "content-type": "application/json", "intuit-signature": signQuickBooks(body, "token-for-bad-body") };
    const error = thrown(() => quickbooks.verifyAndParse({ body, headers, verifierToken: "token-for-bad-body" }));
    expect(error).toBeInstanceOf(WebhookPayloadError);
    expect(error).toMatchObject({
      code: "PAYLOAD_INVALID",
      message: expect.stringContaining("neither a CloudEvents array nor an object with eventNotifications"),
    });
  });

  it("throws WebhookConfigError for a parsed object as the body (a JSON body parser ran first) or no verifierToken", () => {
    const v = vector("QBO-1");
    const parsed = thrown(() => quickbooks.verifyAndParse({ body: JSON.parse(v.body) as never, headers: { [v.header]: v.expected }, verifierToken: v.key }));
    expect(parsed).toBeInstanceOf(WebhookConfigError);
    expect(parsed).toMatchObject({ code: "CONFIG_INVALID", message: expect.stringContaining("body must be the raw request body as received") });
    const noToken = thrown(() => quickbooks.verifyAndParse({ body: v.body, headers: { [v.header]: v.expected }, verifierToken: "" }));
    expect(noToken).toMatchObject({ code: "CONFIG_INVALID", issues: [{ path: "verifierToken", message: "verifierToken must not be empty" }] });
    expect(isWebhookInboxError(noToken)).toBe(true);
  });
});

describe("xero.verifyAndParse", () => {
  it("returns the events of a signed body (entity type as Xero's eventCategory)", () => {
    const v = vector("XERO-3");
    const { events, handshake } = xero.verifyAndParse({ body: v.body, headers: { "X-Xero-Signature": v.expected }, webhookKey: v.key });
    expect(handshake).toBeFalsy();
    expect(events.length).toBe(2);
    for (const event of events) expect(["CONTACT", "INVOICE"]).toContain(event.entityType);
    expect(xero.verifyAndParse).toBe(verifyAndParseXero);
  });

  it("answers the intent-to-receive probe: handshake with no events when signed, SIGNATURE_INVALID when not", () => {
    const good = vector("XERO-2");
    expect(xero.verifyAndParse({ body: good.body, headers: { [good.header]: good.expected }, webhookKey: good.key })).toMatchObject({
      handshake: true,
      events: [],
    });
    const bad = vector("XERO-2R"); // the same JSON re-serialised, carrying the original's signature
    const error = thrown(() => xero.verifyAndParse({ body: bad.body, headers: { [bad.header]: good.expected }, webhookKey: good.key }));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ message: expect.stringContaining("check `webhookKey` (sandbox and production apps have different keys)") });
  });

  it("joins a repeated header and ignores undefined ones, as Node's IncomingHttpHeaders hands them over", () => {
    const v = vector("XERO-3");
    const headers = { "x-xero-signature": [v.expected], "content-type": "application/json", "x-absent": undefined };
    expect(xero.verifyAndParse({ body: new Uint8Array(Buffer.from(v.body)).buffer, headers, webhookKey: v.key }).events).toHaveLength(2);
  });
});

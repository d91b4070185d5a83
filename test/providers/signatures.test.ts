import { describe, expect, it } from "vitest";
import { WebhookVerificationError } from "webhook-inbox";
import { quickbooks } from "webhook-inbox/quickbooks";
import { signQuickBooks, signXero, xeroIntentToReceive } from "webhook-inbox/testing";
import { xero } from "webhook-inbox/xero";
import { fixtureBytes, providerRequest, signatureVectors } from "./fixtures.ts";

const getAccessToken = async () => "token";
const adapterFor = (provider: "quickbooks" | "xero", key: string) =>
  provider === "quickbooks" ? quickbooks({ verifierToken: key, getAccessToken }) : xero({ webhookKey: key, getAccessToken });

/** Flips one bit of one byte. */
function changeOneByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

/** Changes one base64 character to another valid one (same length, different bytes). */
function changeOneChar(text: string, index: number): string {
  const char = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + char + text.slice(index + 1);
}

describe("signature vectors from fixtures/signature-test-vectors.json", () => {
  it("has all ten vectors", () => {
    expect(signatureVectors.map((vector) => vector.id)).toEqual([
      "QBO-1",
      "QBO-2",
      "QBO-3",
      "QBO-4",
      "QBO-5",
      "XERO-1",
      "XERO-2",
      "XERO-2R",
      "XERO-3",
      "XERO-4",
    ]);
  });

  for (const vector of signatureVectors) {
    describe(vector.id, () => {
      const body = new TextEncoder().encode(vector.body);
      const adapter = adapterFor(vector.provider, vector.key);

      it("has the documented byte length, and the signer computes the expected header", () => {
        expect(body.length).toBe(vector.bodyBytes);
        const sign = vector.provider === "quickbooks" ? signQuickBooks : signXero;
        expect(sign(body, vector.key)).toBe(vector.expected);
      });

      it("verifies", () => {
        expect(() => adapter.verify(providerRequest(body, { [vector.header]: vector.expected }))).not.toThrow();
      });

      it("fails when one byte of the body changes (first, middle, last)", () => {
        for (const index of [0, Math.floor(body.length / 2), body.length - 1]) {
          expect(() => adapter.verify(providerRequest(changeOneByte(body, index), { [vector.header]: vector.expected }))).toThrow(WebhookVerificationError);
        }
      });

      it("fails when one byte of the key changes", () => {
        const key = Buffer.from(vector.key, "utf8");
        key[key.length - 1] = (key[key.length - 1] as number) ^ 0x01;
        const other = adapterFor(vector.provider, key.toString("utf8"));
        expect(() => other.verify(providerRequest(body, { [vector.header]: vector.expected }))).toThrow(WebhookVerificationError);
      });

      it("fails when one character of the header changes, or the header is missing, empty or truncated", () => {
        for (const index of [0, 10, vector.expected.length - 2]) {
          expect(() => adapter.verify(providerRequest(body, { [vector.header]: changeOneChar(vector.expected, index) }))).toThrow(WebhookVerificationError);
        }
        expect(() => adapter.verify(providerRequest(body, {}))).toThrow(WebhookVerificationError);
        expect(() => adapter.verify(providerRequest(body, { [vector.header]: "" }))).toThrow(WebhookVerificationError);
        expect(() => adapter.verify(providerRequest(body, { [vector.header]: vector.expected.slice(0, -4) }))).toThrow(WebhookVerificationError);
      });

      it("does not accept the other provider's header name", () => {
        const otherHeader = vector.header === "intuit-signature" ? "x-xero-signature" : "intuit-signature";
        expect(() => adapter.verify(providerRequest(body, { [otherHeader]: vector.expected }))).toThrow(WebhookVerificationError);
      });
    });
  }

  it("QBO-1 and QBO-2 are the same JSON value with different bytes: each signature fits only its own bytes", () => {
    const [one, two] = ["QBO-1", "QBO-2"].map((id) => signatureVectors.find((vector) => vector.id === id)!);
    const adapter = adapterFor("quickbooks", one!.key);
    expect(() => adapter.verify(providerRequest(two!.body, { "intuit-signature": one!.expected }))).toThrow(WebhookVerificationError);
  });

  it("XERO-2R: a re-serialised body does not match the genuine XERO-2 header", () => {
    const genuine = signatureVectors.find((vector) => vector.id === "XERO-2")!;
    const reserialised = signatureVectors.find((vector) => vector.id === "XERO-2R")!;
    const adapter = adapterFor("xero", genuine.key);
    expect(JSON.stringify(JSON.parse(genuine.body))).toBe(reserialised.body);
    expect(() => adapter.verify(providerRequest(reserialised.body, { "x-xero-signature": genuine.expected }))).toThrow(WebhookVerificationError);
  });

  it("XERO-1: the key is used as text; the probe Xero sent with a one-character-off signature is refused", () => {
    const vector = signatureVectors.find((item) => item.id === "XERO-1")!;
    const adapter = adapterFor("xero", vector.key);
    expect(() => adapter.verify(providerRequest(vector.body, { "x-xero-signature": vector.intentToReceiveBadSignatureSeen! }))).toThrow(
      WebhookVerificationError,
    );
    // Base64-decoding the key gives a different signature (PROVIDERS.md pitfall 2).
    expect(signXero(vector.body, Buffer.from(vector.key, "base64").toString("latin1"))).not.toBe(vector.expected);
  });

  it("the fixture files hold the same bytes as their vectors", () => {
    const files: Record<string, string> = {
      "QBO-1": "qbo-classic.json",
      "QBO-3": "qbo-cloudevents.json",
      "QBO-5": "qbo-cloudevents-merged.json",
      "XERO-1": "xero-intent-to-receive.json",
      "XERO-3": "xero-events-wire.json",
      "XERO-4": "xero-events.json",
    };
    for (const [id, file] of Object.entries(files)) {
      const vector = signatureVectors.find((item) => item.id === id)!;
      const bytes = fixtureBytes(file);
      expect(Buffer.from(bytes).equals(Buffer.from(vector.body, "utf8")), file).toBe(true);
      expect(() => adapterFor(vector.provider, vector.key).verify(providerRequest(bytes, { [vector.header]: vector.expected }))).not.toThrow();
    }
  });
});

describe("xeroIntentToReceive()", () => {
  const key = "xero-test-webhook-key-0123456789";
  const adapter = xero({ webhookKey: key, getAccessToken });

  it("valid probes verify and are handshakes; invalid probes carry a signature one character off and are refused", () => {
    const good = xeroIntentToReceive(key, { valid: true });
    const bad = xeroIntentToReceive(key, { valid: false });
    expect(good.body).toMatch(/^\{"events":\[\],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "[A-Z]{20}"\}$/);
    expect(() => adapter.verify(providerRequest(good.body, good.headers))).not.toThrow();
    expect(adapter.parse(providerRequest(good.body, good.headers))).toMatchObject({ handshake: true, events: [] });
    expect(() => adapter.verify(providerRequest(bad.body, bad.headers))).toThrow(WebhookVerificationError);
    const expected = signXero(bad.body, key);
    const differing = [...expected].filter((char, index) => bad.headers["x-xero-signature"]![index] !== char).length;
    expect(differing).toBe(1);
  });
});

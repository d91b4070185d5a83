import { readFileSync } from "node:fs";

const FIXTURES = new URL("../fixtures/providers/", import.meta.url);

/** A fixture file as the exact bytes on disk (never re-serialised: signatures are over bytes). */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

export interface SignatureVector {
  id: string;
  provider: "quickbooks" | "xero";
  header: string;
  key: string;
  body: string;
  bodyBytes: number;
  expected: string;
  intentToReceiveBadSignatureSeen?: string;
}

export const signatureVectors: SignatureVector[] = (JSON.parse(fixtureText("signature-test-vectors.json")) as { vectors: SignatureVector[] }).vectors;

/** A ProviderRequest for bytes and headers. */
export function providerRequest(rawBody: Uint8Array | string, headers: Record<string, string> = {}) {
  return { rawBody: typeof rawBody === "string" ? new TextEncoder().encode(rawBody) : rawBody, headers };
}

/** A stored request body as the admin API shows it: UTF-8 text, or base64 when the bytes are not UTF-8. */
export interface RawBodyView {
  readonly rawBody: string;
  readonly rawBodyEncoding: "utf-8" | "base64";
  readonly rawBodyBytes: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes without replacing anything: bytes that are not UTF-8 are shown as base64 rather than altered. */
export function rawBodyView(bytes: Uint8Array): RawBodyView {
  try {
    return { rawBody: strictUtf8.decode(bytes), rawBodyEncoding: "utf-8", rawBodyBytes: bytes.byteLength };
  } catch {
    return {
      rawBody: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
      rawBodyEncoding: "base64",
      rawBodyBytes: bytes.byteLength,
    };
  }
}

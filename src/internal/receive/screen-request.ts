// Screening a request before it is read as a webhook: integration, method, size, media type, signature.
import type { ProviderAdapter } from "../../contracts/provider-adapter.ts";
import { describeError, isWebhookInboxError } from "../../errors.ts";
import type { Refusal } from "./answer.ts";
import type { UnreadBody } from "../../receive-input.ts";
import type { Integration } from "./receive-context.ts";

export interface ScreenInput {
  readonly integrationId: string;
  readonly integration: Integration | undefined;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly rawBody: Uint8Array;
  readonly truncated: boolean | undefined;
  readonly unread: UnreadBody | undefined;
  readonly maxBodyBytes: number;
}

/** The verdict: the integration to read the webhook with, or why the request is refused (with the reason the delivery log keeps). */
export type Screening =
  | { readonly passed: true; readonly integration: Integration }
  | { readonly passed: false; readonly refusal: Refusal; readonly reason: string };

/** Screens a request, signature included. */
export function screenRequest(input: ScreenInput): Screening {
  const { integration, headers, rawBody, maxBodyBytes } = input;
  if (input.unread) {
    // No bytes reached the inbox: the most useful thing the log can say is why.
    const { cause, code, message } = input.unread;
    const reason = cause === "consumed" ? `body already consumed before the webhook handler (${code}): ${message}` : `body not received (${code}): ${message}`;
    return { passed: false, refusal: { code: "REQUEST_INVALID", status: cause === "consumed" ? 500 : 400, error: code, message }, reason };
  }
  if (!integration) {
    return { passed: false, refusal: { code: "INTEGRATION_UNKNOWN" }, reason: `unknown integration ${JSON.stringify(input.integrationId)}` };
  }
  const method = (input.method ?? "POST").toUpperCase();
  if (method !== "POST") return { passed: false, refusal: { code: "METHOD_NOT_ALLOWED" }, reason: `method ${method} is not allowed` };
  if (input.truncated || rawBody.byteLength > maxBodyBytes) {
    return { passed: false, refusal: { code: "PAYLOAD_TOO_LARGE", maxBodyBytes }, reason: `body larger than ${maxBodyBytes} bytes` };
  }
  const provider: ProviderAdapter = integration.provider;
  const contentType = headers["content-type"] ?? "";
  const semicolon = contentType.indexOf(";");
  const mediaType = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (!provider.contentTypes.includes(mediaType)) {
    return {
      passed: false,
      refusal: { code: "UNSUPPORTED_MEDIA_TYPE", expected: provider.contentTypes },
      reason: `content type ${JSON.stringify(mediaType || "(none)")} is not one ${provider.name} sends`,
    };
  }
  try {
    provider.verify({ rawBody, headers });
  } catch (error) {
    const reason = isWebhookInboxError(error) ? error.message : `signature check failed: ${describeError(error)}`;
    return { passed: false, refusal: { code: "SIGNATURE_INVALID" }, reason };
  }
  return { passed: true, integration };
}

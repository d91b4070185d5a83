/**
 * @module webhook-inbox/provider-kit
 * Building blocks for authors of their own provider adapters: HMAC signatures, timestamps, limits,
 * Retry-After, JSON bodies, id screening, acknowledgements, the provider HTTP call and verify-and-parse.
 */
export { computeHmacSha256, verifyHmacSignature, type HmacSignatureOptions } from "./hmac-signature.ts";
export { dateTimeOrEpochMsSchema, isoDateTimeSchema, parseIsoDateTime } from "./timestamps.ts";
export { mergeProviderLimits, providerLimitsOverrideSchema, type ProviderLimitsOverride } from "./limits.ts";
export { callWithAccessToken, type ProviderHttpCallOptions, type ProviderHttpResponse } from "./provider-http.ts";
export { parseRetryAfterMs } from "./retry-after.ts";
export { decodeJsonBody } from "./json-body.ts";
export { screenIds } from "./screen-ids.ts";
export { isPlainRecord, quickText } from "./shape-checks.ts";
export { emptyAcknowledgement, jsonAcknowledgement } from "./acknowledgement.ts";
export { verifyAndParseWith, type VerifyAndParseInput, type VerifyAndParseSpec, type WebhookBody, type WebhookHeaders } from "./verify-and-parse.ts";

import type { z } from "zod";
import { WebhookRequestError, type WebhookInboxErrorCode, isWebhookInboxError } from "../errors.ts";

/** An admin request refused with `status` (4xx), answered as `errorBody(code, message, extra)`. */
export class AdminHttpError extends WebhookRequestError {
  override name = "AdminHttpError";
  constructor(status: number, code: WebhookInboxErrorCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(status, code, message, { details: extra, headers });
  }
}

/** The one error body of the admin API: `{ error: { code, message, ...details } }`. */
export function errorBody(code: string, message: string, details: Readonly<Record<string, unknown>> = {}): { error: Record<string, unknown> } {
  return { error: { code, message, ...details } };
}

/** Headers on every answer: nothing is cached, sniffed or framed. */
const BASE_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** JSON with ISO dates (Date#toJSON) and no prototype tricks. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function text(status: number, body: string, contentType: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...BASE_HEADERS, "content-type": contentType, ...headers } });
}

/**
 * Turns anything thrown inside a route into an answer. Library errors keep their `status` and
 * `code` (404 not found, 409 conflict); anything else is a 500 whose body says nothing about
 * internals: no message, no stack.
 */
export function errorResponse(error: unknown, onError: (error: unknown) => void): Response {
  if (isWebhookInboxError(error) && error.status >= 400 && error.status < 500) {
    // Brand-checked, so a copy of the library loaded twice (ESM and CJS) is answered the same way.
    const { details, headers } = error as Partial<WebhookRequestError>;
    return json(error.status, errorBody(error.code, error.message, details), headers);
  }
  onError(error);
  // A library failure keeps its status and code (a store outage is 503: worth retrying), never its message.
  if (isWebhookInboxError(error) && error.status >= 500 && error.status < 600) {
    return json(error.status, errorBody(error.code, "The admin request failed; the server log has the details"));
  }
  return json(500, errorBody("INTERNAL_ERROR", "The admin request failed; the server log has the details"));
}

/** A 400 naming the parameter (query) or field path (body) that zod refused. */
export function invalid(where: "query" | "body" | "path", issues: readonly z.core.$ZodIssue[]): AdminHttpError {
  const issue = issues[0];
  // Name the parameter, not the list position inside it ("status", not "status.0").
  const path = (issue?.path ?? []).map(String);
  while (path.length > 0 && /^\d+$/.test(path[path.length - 1]!)) path.pop();
  let param = path.join(".");
  let message = issue?.message ?? "is invalid";
  if (issue?.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    param = param ? `${param}.${key}` : key;
    message = "is not a known parameter";
  }
  const label = where === "query" ? "query parameter" : where === "body" ? "body field" : "path segment";
  const name = param || (where === "body" ? "body" : where);
  return new AdminHttpError(400, "REQUEST_INVALID", `${label} "${name}" ${message}`, { param: name });
}

/** Parses with a zod schema and throws a 400 naming the bad parameter. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: "query" | "body" | "path", label?: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  if (label) {
    const issues = result.error.issues.map((issue) => ({ ...issue, path: [label, ...issue.path] }));
    throw invalid(where, issues as z.core.$ZodIssue[]);
  }
  throw invalid(where, result.error.issues);
}

/** The query string as a plain object; a parameter given twice is refused, not silently merged. */
export function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (Object.hasOwn(out, name)) {
      throw new AdminHttpError(400, "REQUEST_INVALID", `query parameter "${name}" is given more than once; use a comma list`, { param: name });
    }
    out[name] = value;
  }
  return out;
}

/** Largest admin request body (they are small JSON documents). */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body. Requires `content-type: application/json`: a cross-site HTML form cannot send
 * that without a CORS preflight, which keeps cookie-authenticated admins safe from forged posts.
 */
export async function readJson(request: Request, { required }: { required: boolean }): Promise<unknown> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new AdminHttpError(415, "UNSUPPORTED_MEDIA_TYPE", "admin changes must be sent as application/json");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_ADMIN_BODY_BYTES) throw new AdminHttpError(413, "PAYLOAD_TOO_LARGE", `body larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_ADMIN_BODY_BYTES) throw new AdminHttpError(413, "PAYLOAD_TOO_LARGE", `body larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
  const body = new TextDecoder().decode(bytes).trim();
  if (body === "") {
    if (required) throw new AdminHttpError(400, "REQUEST_INVALID", `body field "body" is missing: send a JSON object`, { param: "body" });
    return {};
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new AdminHttpError(400, "REQUEST_INVALID", `body field "body" is not valid JSON`, { param: "body" });
  }
}

/** A signed, expiring session cookie for hosts that log operators in with their own form. */
import { createHmac } from "node:crypto";
import { WebhookConfigError } from "../../errors.ts";
import { safeEqual } from "./safe-equal.ts";

export interface SignedCookieOptions {
  /** At least 32 characters; rotate it to log everyone out. */
  readonly secret: string;
  /** @default "webhook_admin" */
  readonly name?: string;
  /** How long a login lasts. @default 8 hours */
  readonly maxAgeSeconds?: number;
  /** Cookie path: the admin's mount path and your login route should both be under it. @default "/" */
  readonly path?: string;
  /** Send only over HTTPS. @default true (set false for http://localhost development) */
  readonly secure?: boolean;
  /** For tests. @default Date.now */
  readonly now?: () => number;
}

export interface SignedCookie {
  /** The `Set-Cookie` value that logs `subject` in (HttpOnly, SameSite=Lax, signed, expiring). */
  issue(subject: string): string;
  /** The `Set-Cookie` value that logs out. */
  clear(): string;
  /** The subject of a valid, unexpired cookie on `request`, or `null`. */
  read(request: Request): string | null;
}

/**
 * A cookie holding `subject.expiry.signature` (HMAC-SHA256 over both), checked in constant time.
 * `authorize` reads it (`cookie.read(request)`) and maps the subject to an access decision.
 */
export function signedCookie(options: SignedCookieOptions): SignedCookie {
  if (typeof options?.secret !== "string" || options.secret.length < 32) {
    throw new WebhookConfigError("signedCookie needs a secret of at least 32 characters", [{ path: "secret", message: "too short or missing" }]);
  }
  const name = options.name ?? "webhook_admin";
  if (!/^[\w-]+$/.test(name)) throw new WebhookConfigError("signedCookie name must be letters, digits, _ or -", [{ path: "name", message: "invalid" }]);
  const maxAge = options.maxAgeSeconds ?? 8 * 60 * 60;
  const path = options.path ?? "/";
  const secure = options.secure ?? true;
  const now = options.now ?? Date.now;
  const sign = (payload: string) => createHmac("sha256", options.secret).update(payload).digest("base64url");
  const attributes = (age: number) => [`Path=${path}`, `Max-Age=${age}`, "HttpOnly", "SameSite=Lax", ...(secure ? ["Secure"] : [])].join("; ");

  return {
    issue(subject) {
      const expires = Math.floor(now() / 1000) + maxAge;
      const payload = `${Buffer.from(subject, "utf8").toString("base64url")}.${expires}`;
      return `${name}=${payload}.${sign(payload)}; ${attributes(maxAge)}`;
    },
    clear() {
      return `${name}=; ${attributes(0)}`;
    },
    read(request) {
      const value = cookieValue(request.headers.get("cookie") ?? "", name);
      if (!value) return null;
      const parts = value.split(".");
      if (parts.length !== 3) return null;
      const [subject, expires, signature] = parts as [string, string, string];
      if (!safeEqual(sign(`${subject}.${expires}`), signature)) return null;
      if (!/^\d+$/.test(expires) || Number(expires) * 1000 <= now()) return null;
      return Buffer.from(subject, "base64url").toString("utf8");
    },
  };
}

function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

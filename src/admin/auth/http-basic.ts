/** HTTP Basic authentication for the admin: the browser's own login prompt, no session needed. */
import { WebhookConfigError } from "../../errors.ts";
import type { AdminAccessDecision, AdminAuthorize } from "../access.ts";
import { safeEqual } from "./safe-equal.ts";

/** One operator: a password and what they may do (`true`, `{ readOnly: true }`, `{ tenants }`...). */
export interface HttpBasicUser {
  readonly password: string;
  /** @default true (full access) */
  readonly access?: AdminAccessDecision;
}

export interface HttpBasicOptions {
  /** Operators by user name. */
  readonly users: Readonly<Record<string, HttpBasicUser>>;
  /** Shown by the browser's prompt and scoping its saved credentials. @default "Webhook inbox" */
  readonly realm?: string;
}

/** What `httpBasic` gives: spread it into the admin's options (`{ ...httpBasic(...) }`). */
export interface HttpBasicAuth {
  readonly authorize: AdminAuthorize;
  /** The `WWW-Authenticate` value the admin sends with every 401, so browsers show their login prompt. */
  readonly challenge: string;
}

/** The user and password of a `Basic` Authorization header, or `null` when there is none or it is malformed. */
export function readBasicCredentials(request: Request): { user: string; password: string } | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * An `authorize` hook and its challenge for HTTP Basic. Passwords are compared in constant time;
 * an unknown user costs the same comparison as a wrong password. Serve the admin over HTTPS: Basic
 * sends the password with every request.
 *
 * @example
 * app.use("/admin", createExpressAdmin(inbox, {
 *   ...httpBasic({ users: { ops: { password: process.env.OPS_PASSWORD! }, support: { password: process.env.SUPPORT_PASSWORD!, access: { readOnly: true } } } }),
 * }));
 */
export function httpBasic(options: HttpBasicOptions): HttpBasicAuth {
  const users = options?.users;
  if (typeof users !== "object" || users === null || Object.keys(users).length === 0) {
    throw new WebhookConfigError("httpBasic needs users: { name: { password } }", [{ path: "users", message: "needs at least one user" }]);
  }
  for (const [name, user] of Object.entries(users)) {
    if (name === "" || name.includes(":"))
      throw new WebhookConfigError(`httpBasic user name ${JSON.stringify(name)} is empty or holds a ':'`, [
        { path: `users.${name}`, message: "invalid user name" },
      ]);
    if (typeof user?.password !== "string" || user.password.length < 8) {
      throw new WebhookConfigError(`httpBasic user ${JSON.stringify(name)} needs a password of at least 8 characters`, [
        { path: `users.${name}.password`, message: "too short or missing" },
      ]);
    }
  }
  const realm = options.realm ?? "Webhook inbox";
  if (/["\\\r\n]/.test(realm))
    throw new WebhookConfigError("httpBasic realm must not contain quotes, backslashes or line breaks", [{ path: "realm", message: "invalid" }]);
  const entries = Object.entries(users);
  return {
    challenge: `Basic realm="${realm}", charset="UTF-8"`,
    authorize: (request) => {
      const credentials = readBasicCredentials(request);
      if (!credentials) return false;
      let found: [string, HttpBasicUser] | null = null;
      // Every user is compared, so the time taken does not say which names exist.
      for (const [name, user] of entries) {
        const nameMatches = safeEqual(name, credentials.user);
        const passwordMatches = safeEqual(user.password, credentials.password);
        if (nameMatches && passwordMatches) found = [name, user];
      }
      if (!found) return false;
      // The user name is the actor recorded with the settings this operator changes.
      const [name, user] = found;
      const access = user.access ?? true;
      if (access === false) return false;
      return access === true ? { actor: name } : { actor: name, ...access };
    },
  };
}

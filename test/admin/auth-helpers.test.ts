// The login helpers hosts put in front of the admin: HTTP Basic, the signed cookie, safeEqual.
import { describe, expect, it } from "vitest";
import { WebhookConfigError, httpBasic, readBasicCredentials, safeEqual, signedCookie } from "webhook-inbox";

const basic = (user: string, password: string) =>
  new Request("http://x/", { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });

describe("httpBasic", () => {
  const auth = httpBasic({ users: { ops: { password: "correct-horse" }, viewer: { password: "battery-staple", access: { readOnly: true } } }, realm: "Ops" });

  it("answers each user's access, and false for anything else", () => {
    expect(auth.challenge).toBe('Basic realm="Ops", charset="UTF-8"');
    // The user name comes back as the actor recorded with the settings they change.
    expect(auth.authorize(basic("ops", "correct-horse"))).toEqual({ actor: "ops" });
    expect(auth.authorize(basic("viewer", "battery-staple"))).toEqual({ actor: "viewer", readOnly: true });
    expect(auth.authorize(basic("ops", "battery-staple"))).toBe(false);
    expect(auth.authorize(basic("nobody", "correct-horse"))).toBe(false);
    expect(auth.authorize(basic("ops", "correct-horse "))).toBe(false);
    expect(auth.authorize(new Request("http://x/"))).toBe(false);
    expect(auth.authorize(new Request("http://x/", { headers: { authorization: "Bearer abc" } }))).toBe(false);
    expect(auth.authorize(new Request("http://x/", { headers: { authorization: "Basic !!!" } }))).toBe(false);
  });

  it("reads a password holding colons and non-ASCII characters", () => {
    expect(readBasicCredentials(basic("ops", "a:b:ç"))).toEqual({ user: "ops", password: "a:b:ç" });
    expect(readBasicCredentials(new Request("http://x/", { headers: { authorization: `Basic ${Buffer.from("nocolon").toString("base64")}` } }))).toBeNull();
  });

  it("refuses a configuration that would let anyone in or break the header", () => {
    expect(() => httpBasic({ users: {} })).toThrow(WebhookConfigError);
    expect(() => httpBasic({ users: { ops: { password: "short" } } })).toThrow(/at least 8/);
    expect(() => httpBasic({ users: { "a:b": { password: "long-enough" } } })).toThrow(/':'/);
    expect(() => httpBasic({ users: { ops: { password: "long-enough" } }, realm: 'x"y' })).toThrow(/realm/);
  });
});

describe("signedCookie", () => {
  let now = Date.UTC(2030, 0, 1);
  const cookie = signedCookie({ secret: "s".repeat(32), maxAgeSeconds: 60, now: () => now });
  const withCookie = (setCookie: string) => new Request("http://x/", { headers: { cookie: `other=1; ${setCookie.split(";")[0]}` } });

  it("issues an HttpOnly, SameSite=Lax, Secure cookie whose subject reads back until it expires", () => {
    const issued = cookie.issue("ops@example.com");
    expect(issued).toMatch(/^webhook_admin=[^;]+; Path=\/; Max-Age=60; HttpOnly; SameSite=Lax; Secure$/);
    expect(cookie.read(withCookie(issued))).toBe("ops@example.com");
    now += 61_000;
    expect(cookie.read(withCookie(issued))).toBeNull();
  });

  it("refuses a cookie signed with another secret, altered, or missing", () => {
    const other = signedCookie({ secret: "t".repeat(32), now: () => now });
    expect(cookie.read(withCookie(other.issue("ops")))).toBeNull();
    const issued = cookie.issue("ops");
    const [name, value] = issued.split(";")[0]!.split("=") as [string, string];
    const [, expires, signature] = value.split(".");
    expect(
      cookie.read(new Request("http://x/", { headers: { cookie: `${name}=${Buffer.from("admin").toString("base64url")}.${expires}.${signature}` } })),
    ).toBeNull();
    expect(cookie.read(new Request("http://x/"))).toBeNull();
    expect(cookie.clear()).toContain("Max-Age=0");
    expect(() => signedCookie({ secret: "short" })).toThrow(/32 characters/);
  });
});

describe("safeEqual", () => {
  it("compares whole strings of any length", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
  });
});

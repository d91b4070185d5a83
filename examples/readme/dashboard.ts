// README › Dashboard: operators log in with HTTP Basic, or with your own login form and a signed cookie.
import express from "express";
import Fastify from "fastify";
import { type AdminAccessDecision, type AdminInbox, createAdminHandler, httpBasic, safeEqual, signedCookie } from "webhook-inbox";
import { createExpressAdmin } from "webhook-inbox/express";
import { fastifyWebhookInboxAdmin } from "webhook-inbox/fastify";

/** Your operators: `true` is full access, `{ readOnly: true }` lists and views only, `{ tenants }` limits. */
export interface Operators {
  [name: string]: { password: string; access: AdminAccessDecision };
}

// 1. HTTP Basic: the browser's own login prompt (the 401 carries WWW-Authenticate). Use HTTPS.
export function expressAdminWithBasic(app: express.Express, inbox: AdminInbox, operators: Operators) {
  app.use("/admin/webhooks", createExpressAdmin(inbox, { ...httpBasic({ users: operators }) }));
}

/** The operator a login form names, when the password matches (compared in constant time). */
function logIn(operators: Operators, name: unknown, password: unknown): string | null {
  if (typeof name !== "string" || typeof password !== "string" || !Object.hasOwn(operators, name)) return null;
  return safeEqual(operators[name]!.password, password) ? name : null;
}

const loginPage = (prefix: string) =>
  `<!doctype html><title>Log in</title><form method="post" action="${prefix}/login">` +
  `<label>User <input name="user" autocomplete="username"></label> ` +
  `<label>Password <input name="password" type="password" autocomplete="current-password"></label> <button>Log in</button></form>`;

// 2. Your own login form and a signed, HttpOnly, SameSite=Lax cookie (Express). With express-session
//    instead, authorize reads the session: (request, req) => req.session.operator ? true : false.
export function expressAdminWithCookie(app: express.Express, inbox: AdminInbox, operators: Operators, secret: string, secure = true) {
  const session = signedCookie({ secret, secure });
  app.get("/login", (_req, res) => void res.type("html").send(loginPage("")));
  app.post("/login", express.urlencoded({ extended: false }), (req, res) => {
    const operator = logIn(operators, req.body?.user, req.body?.password);
    if (!operator) return void res.status(401).type("html").send(loginPage(""));
    res.setHeader("set-cookie", session.issue(operator));
    res.redirect(303, "/admin/webhooks/");
  });
  app.post("/logout", (_req, res) => void res.setHeader("set-cookie", session.clear()).redirect(303, "/login"));
  app.use(
    "/admin/webhooks",
    createExpressAdmin(inbox, {
      authorize: (request) => {
        const operator = session.read(request);
        return operator && Object.hasOwn(operators, operator) ? operators[operator]!.access : false;
      },
    }),
  );
}

// 3. The same with Fastify (with @fastify/cookie, read a signed cookie via request.unsignCookie instead).
export async function fastifyAdminWithCookie(inbox: AdminInbox, operators: Operators, secret: string, secure = true) {
  const session = signedCookie({ secret, secure });
  const app = Fastify();
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.get("/login", (_request, reply) => reply.type("text/html").send(loginPage("")));
  app.post<{ Body: Record<string, string> }>("/login", (request, reply) => {
    const operator = logIn(operators, request.body?.user, request.body?.password);
    if (!operator) return reply.code(401).type("text/html").send(loginPage(""));
    return reply.header("set-cookie", session.issue(operator)).redirect("/admin/webhooks/", 303);
  });
  await app.register(fastifyWebhookInboxAdmin, {
    inbox,
    prefix: "/admin/webhooks",
    authorize: (request) => {
      const operator = session.read(request);
      return operator && Object.hasOwn(operators, operator) ? operators[operator]!.access : false;
    },
  });
  return app;
}

// Anything that speaks Fetch (Hono, Next.js, Bun): (Request) => Promise<Response>
export const handleAdmin = (inbox: AdminInbox, operators: Operators) =>
  createAdminHandler(inbox, { ...httpBasic({ users: operators }), basePath: "/admin/webhooks" });

// The smallest app, CommonJS: index.js in an `npm init -y` project (npm writes "type": "commonjs").
//   npm install webhook-inbox express better-sqlite3
//   QBO_VERIFIER_TOKEN=... QBO_ACCESS_TOKEN=... ADMIN_PASSWORD=... node index.js
// QuickBooks webhooks are verified on the exact bytes, stored in SQLite before the 200 Intuit requires,
// then processed from the queue; the dashboard at /admin/ shows each one and retries failures.
const express = require("express");
const { createWebhookInbox, httpBasic } = require("webhook-inbox");
const { createExpressAdmin, createExpressMiddleware } = require("webhook-inbox/express");
const { quickbooks } = require("webhook-inbox/quickbooks");
const { SqliteStore } = require("webhook-inbox/sqlite");

const store = new SqliteStore({ filename: process.env.WEBHOOK_DB ?? "./webhooks.sqlite" });
const inbox = createWebhookInbox({
  store,
  integrations: {
    quickbooks: {
      provider: quickbooks({
        // The Verifier Token from the app's Webhooks page (not the OAuth client secret).
        verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "development-verifier-token",
        // Your OAuth token store, per company (realm).
        getAccessToken: async (_realmId) => process.env.QBO_ACCESS_TOKEN ?? "",
        // Sandbox companies: https://sandbox-quickbooks.api.intuit.com
        baseUrl: process.env.QBO_BASE_URL,
      }),
      mode: "immediate",
    },
  },
  // Called once per changed entity, with its current data (`null` when it was deleted).
  handler: async (event) => {
    console.log(`${event.operation} ${event.entityType} ${event.entityId} (realm ${event.tenantId})`, event.resource);
  },
});

const app = express();
// The webhook route goes BEFORE express.json(): the signature is checked on the raw bytes.
// app.all (not app.post) so a GET is answered 405 by the inbox and logged.
app.all("/webhooks/quickbooks", createExpressMiddleware(inbox, { integration: "quickbooks" }));
// The dashboard, behind the browser's own login prompt (user "admin"). Serve it over HTTPS.
const adminPassword = process.env.ADMIN_PASSWORD ?? "development-password";
app.use("/admin", createExpressAdmin(inbox, { ...httpBasic({ users: { admin: { password: adminPassword } } }) }));
app.use(express.json());
// ...the rest of your app.

// No top-level await in CommonJS: start inside a function.
async function main() {
  await inbox.start();
  const server = app.listen(Number(process.env.PORT ?? 3000), () => {
    const { port } = server.address();
    console.log(`QuickBooks webhooks: POST http://localhost:${port}/webhooks/quickbooks`);
    console.log(`Dashboard: http://localhost:${port}/admin/ (user admin)`);
  });
  process.once("SIGINT", () => {
    server.close();
    // Finish in-flight work, then release the database.
    void inbox.stop().then(() => store.close());
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

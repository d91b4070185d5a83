// The CommonJS build: require() works for the core and every adapter.
// Run: npm run build && node examples/commonjs/index.cjs
const { MemoryStore, createWebhookInbox } = require("webhook-inbox");
const { quickbooks } = require("webhook-inbox/quickbooks");

const inbox = createWebhookInbox({
  store: new MemoryStore(),
  integrations: { quickbooks: { provider: quickbooks({ verifierToken: "token", getAccessToken: async () => "access" }) } },
  handler: async (event) => console.log(event.entityType, event.entityId),
});
console.log("integrations:", inbox.listIntegrations());

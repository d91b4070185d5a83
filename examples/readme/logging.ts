// README › Logging: rate-limit pauses too (info), through a logger of your own (console here; pino and winston fit as well).
import { MemoryStore, createWebhookInbox } from "webhook-inbox";
import { quickBooksProvider } from "./providers.ts";

export const inbox = createWebhookInbox({
  store: new MemoryStore(),
  integrations: { qbo: { provider: quickBooksProvider } },
  handler: async (event) => console.log(event.entityType, event.entityId),
  logger: console,
  logLevel: "info",
});

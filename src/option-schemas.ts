// The zod schemas every options object shares: the inbox handed to an HTTP adapter, and a logger.
import { z } from "zod";
import type { Logger } from "./events.ts";
import { type WebhookReceiver, isWebhookReceiver } from "./webhook-receiver.ts";

/** The inbox as an HTTP adapter takes it: anything with `receive()` and a numeric `maxBodyBytes`. */
export const webhookReceiverSchema = z.custom<WebhookReceiver>(isWebhookReceiver, {
  error: "the inbox must be a WebhookProcessor (createWebhookInbox({ ... }))",
});

/** A `Logger`: an object with debug, info, warn and error methods. */
export const loggerSchema = z.custom<Logger>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    (["debug", "info", "warn", "error"] as const).every((method) => typeof (value as Record<string, unknown>)[method] === "function"),
  { error: "must have debug, info, warn and error methods (a Logger)" },
);

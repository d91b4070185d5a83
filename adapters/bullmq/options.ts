/** The options of BullMQScheduler: schema, validation and defaults. */
import type { ConnectionOptions } from "bullmq";
import { z } from "zod";
import { validateOptions } from "../../src/adapter-kit/index.ts";

/** Default name of the BullMQ queue the pass jobs go on. */
export const DEFAULT_QUEUE_NAME = "webhook-inbox";
/** Default longest gap between two passes of the fleet. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** Default rounding of run times: wake-ups and due times inside one slot become one job. */
export const DEFAULT_SLOT_MS = 50;

const optionsSchema = z.strictObject({
  /** Your Redis: ioredis options or an ioredis instance (BullMQ duplicates it for the worker's blocking connection). */
  connection: z.custom<ConnectionOptions>((value) => typeof value === "object" && value !== null, {
    error: "connection must be ioredis options or an ioredis instance",
  }),
  /** Queue the pass jobs go on; one per inbox (every instance of one inbox uses the same). @default "webhook-inbox" */
  queueName: z
    .string()
    .regex(/^[^:]+$/, "must be a non-empty queue name without ':'")
    .default(DEFAULT_QUEUE_NAME),
  /** BullMQ's Redis key prefix. @default BullMQ's ("bull") */
  prefix: z.string().min(1).optional(),
  /** Longest gap between passes of the whole fleet (work stored by other processes). @default 1000 */
  pollIntervalMs: z.int().min(10).max(3_600_000).default(DEFAULT_POLL_INTERVAL_MS),
  /** Run times are rounded up to a multiple of this, so wake-ups inside one slot are one job. @default 50 */
  slotMs: z.int().min(1).max(60_000).default(DEFAULT_SLOT_MS),
  /** Called when a pass throws or Redis fails; scheduling goes on. @default console.error */
  onError: z.custom<(error: unknown) => void>((value) => typeof value === "function", { error: "onError must be a function" }).optional(),
});

/** What `new BullMQScheduler()` accepts. */
export type BullMQSchedulerOptions = z.input<typeof optionsSchema>;
export type ResolvedBullMQSchedulerOptions = z.output<typeof optionsSchema>;

export function parseBullMQSchedulerOptions(input: unknown): ResolvedBullMQSchedulerOptions {
  return validateOptions(optionsSchema, input, "BullMQScheduler options");
}

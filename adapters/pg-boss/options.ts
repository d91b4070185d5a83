/** The options of PgBossScheduler: schema, validation and defaults. */
import type PgBoss from "pg-boss";
import { z } from "zod";
import { validateOptions } from "../../src/adapter-kit/index.ts";

/** Default name of the pg-boss queue the pass jobs go on. */
export const DEFAULT_QUEUE_NAME = "webhook-inbox";
/** Default longest gap between two passes of the fleet. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** Default rounding of run times: wake-ups and due times inside one slot become one job. */
export const DEFAULT_SLOT_MS = 50;

const BOSS_METHODS = ["createQueue", "send", "work", "offWork", "complete", "notifyWorker"] as const;

const optionsSchema = z.strictObject({
  /** Your pg-boss 10 instance, already `start()`ed (its schema and connection are the host's); `stop()` never stops it. */
  boss: z.custom<PgBoss>(
    (value) => typeof value === "object" && value !== null && BOSS_METHODS.every((name) => typeof (value as Record<string, unknown>)[name] === "function"),
    { error: "boss must be a PgBoss instance (pg-boss 10)" },
  ),
  /** Queue the pass jobs go on; one per inbox (every instance of one inbox uses the same). @default "webhook-inbox" */
  queueName: z
    .string()
    .regex(/^[\w-]+$/, "must be letters, digits, _ or -")
    .default(DEFAULT_QUEUE_NAME),
  /** Longest gap between passes of the whole fleet (work stored by other processes). @default 1000 */
  pollIntervalMs: z.int().min(10).max(3_600_000).default(DEFAULT_POLL_INTERVAL_MS),
  /** Run times are rounded up to a multiple of this, so wake-ups inside one slot are one job. @default 50 */
  slotMs: z.int().min(1).max(60_000).default(DEFAULT_SLOT_MS),
  /**
   * How often this instance's pg-boss worker looks for pass jobs enqueued by other instances (its own
   * it fetches on time). pg-boss allows 0.5 at least. @default 2
   */
  pollingIntervalSeconds: z.number().min(0.5).max(3_600).default(2),
  /** A pass job still active after this long (its worker died) is handed to another worker. @default 300 */
  expireInSeconds: z.int().min(1).max(86_400).default(300),
  /** Called when a pass throws or the database fails; scheduling goes on. @default console.error */
  onError: z.custom<(error: unknown) => void>((value) => typeof value === "function", { error: "onError must be a function" }).optional(),
});

/** What `new PgBossScheduler()` accepts. */
export type PgBossSchedulerOptions = z.input<typeof optionsSchema>;
export type ResolvedPgBossSchedulerOptions = z.output<typeof optionsSchema>;

export function parsePgBossSchedulerOptions(input: unknown): ResolvedPgBossSchedulerOptions {
  return validateOptions(optionsSchema, input, "PgBossScheduler options");
}

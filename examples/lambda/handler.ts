/**
 * AWS Lambda: `webhook` behind API Gateway (HTTP API, payload format 2.0, or REST API proxy) stores
 * and acknowledges each QuickBooks webhook; `cron`, invoked by an EventBridge schedule, processes
 * what is due within the invocation's remaining time. No resident worker: the inbox is never started.
 *
 * Deploy both functions from this file (handler names `handler.webhook` and `handler.cron`), with
 * DATABASE_URL, QBO_VERIFIER_TOKEN and QBO_ACCESS_TOKEN set.
 */
import pg from "pg";
import { createWebhookInbox } from "webhook-inbox";
import { PostgresStore } from "webhook-inbox/postgres";
import { quickbooks } from "webhook-inbox/quickbooks";

/** The fields of an API Gateway proxy event this handler reads (v2 `rawPath` / v1 `path`). */
export interface ApiGatewayEvent {
  readonly headers?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
  readonly httpMethod?: string;
}

/** What API Gateway turns into the HTTP answer. */
export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The part of the Lambda context the cron reads. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

// Created once per execution environment and reused by warm invocations; idle connections do not
// keep the invocation from finishing.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2, allowExitOnIdle: true });

export const inbox = createWebhookInbox({
  store: new PostgresStore({ pool, schema: process.env.WEBHOOK_INBOX_SCHEMA ?? "webhook_inbox" }),
  integrations: {
    quickbooks: {
      provider: quickbooks({
        verifierToken: process.env.QBO_VERIFIER_TOKEN ?? "your-verifier-token",
        getAccessToken: async () => process.env.QBO_ACCESS_TOKEN ?? "your-access-token",
        ...(process.env.QBO_BASE_URL ? { baseUrl: process.env.QBO_BASE_URL } : {}),
      }),
      mode: "immediate",
    },
  },
  handler: async (event) => {
    console.log(`${event.entityType} ${event.entityId} ${event.operation}`);
  },
});

export async function webhook(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
  // The exact bytes: API Gateway base64-encodes bodies it does not treat as text.
  const rawBody = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const method = event.requestContext?.http?.method ?? event.httpMethod ?? "POST";
  const result = await inbox.receive({ integration: "quickbooks", rawBody, headers, method });
  return { statusCode: result.status, headers: result.headers, body: result.body };
}

export async function cron(_event: unknown, context: LambdaContext): Promise<{ processed: number; stillDue: boolean; nextDueAt: string | null }> {
  // Stop starting passes 15 s before the function's timeout.
  const result = await inbox.runDue({ budgetMs: Math.max(0, context.getRemainingTimeInMillis() - 15_000) });
  return { processed: result.processed, stillDue: result.stillDue, nextDueAt: result.nextDueAt?.toISOString() ?? null };
}

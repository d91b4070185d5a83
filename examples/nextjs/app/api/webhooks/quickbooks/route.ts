/**
 * app/api/webhooks/quickbooks/route.ts: QuickBooks posts here. The body is handed to the inbox
 * unread (never call request.json() first), stored, and acknowledged 200 as Intuit requires.
 */
import { createFetchHandler } from "webhook-inbox";
import { inbox } from "../../../../lib/inbox";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handle = createFetchHandler(inbox, { integration: "quickbooks" });

export async function POST(request: Request): Promise<Response> {
  return handle(request);
}

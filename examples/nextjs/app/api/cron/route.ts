/**
 * app/api/cron/route.ts: Vercel Cron (vercel.json) calls this with GET and
 * `Authorization: Bearer $CRON_SECRET`; any other scheduler can POST. It processes due events for
 * at most `budgetMs`, well inside `maxDuration`, and answers what it did.
 */
import { inbox } from "../../../lib/inbox";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
/** Seconds the platform lets this route run. */
export const maxDuration = 60;

export async function GET(request: Request): Promise<Response> {
  const secret = process.env.CRON_SECRET;
  if (!secret || request.headers.get("authorization") !== `Bearer ${secret}`) {
    return Response.json({ error: "unauthorized" }, { status: 401 });
  }
  // Leave headroom for the pass still running when the budget ends (handlerTimeoutMs, rate-limit waits).
  const result = await inbox.runDue({ budgetMs: 40_000 });
  return Response.json(result);
}

export const POST = GET;

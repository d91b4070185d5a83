// A receive inside the instrumentation's `receive` hook: its scope sees the delivery's lifecycle events and is the parent of direct-mode work.
import type { ReceiveInput } from "../../receive-input.ts";
import type { ReceiveResult } from "../../types.ts";
import { scopedEmit } from "../telemetry.ts";
import type { ReceiveContext } from "./receive-context.ts";
import { receiveRequest } from "./receive-pipeline.ts";

/** `receiveRequest`, reported to the instrumentation when the inbox has one with a `receive` hook. */
export function tracedReceive(ctx: ReceiveContext, input: ReceiveInput): Promise<ReceiveResult> {
  const instrumentation = ctx.telemetry?.instrumentation;
  if (!instrumentation?.receive) return receiveRequest(ctx, input);
  const start = {
    integration: String(input.integration),
    provider: ctx.integration(input.integration)?.provider.name ?? "unknown",
    method: (input.method ?? "POST").toUpperCase(),
  };
  return instrumentation.receive(start, (scope) =>
    receiveRequest(
      {
        ...ctx,
        telemetry: { instrumentation, scope },
        emit: scopedEmit(ctx.emit, scope),
        // The scope hears of the delivery even when no listener would.
        listening: (name) => name.startsWith("delivery:") || ctx.listening(name),
      },
      input,
    ),
  );
}

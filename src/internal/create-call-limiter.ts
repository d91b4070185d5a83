// Which rate limiter an inbox runs: a store with a shared budget (PostgresStore) makes every
// instance spend one provider budget; other stores keep the in-process limiter.
import type { Clock } from "../clock.ts";
import type { WebhookStore } from "../contracts/webhook-store.ts";
import type { CallLimiter } from "./call-limiter.ts";
import { RateLimiter } from "./rate-limiter.ts";
import type { Integration } from "./receive/receive-context.ts";
import { SharedRateLimiter, budgetLimits } from "./shared-rate-limiter.ts";

export function createCallLimiter(
  store: WebhookStore,
  clock: Clock,
  integrations: ReadonlyMap<string, Integration>,
  reportError: (error: unknown, message: string) => void,
): CallLimiter {
  const budget = store.rateBudget;
  return budget ? new SharedRateLimiter(budget, clock, () => providerLimits(integrations), reportError) : new RateLimiter(clock);
}

/** Every provider's limits the inbox runs, one entry per provider. */
function providerLimits(integrations: ReadonlyMap<string, Integration>): ReturnType<typeof budgetLimits>[] {
  const byProvider = new Map<string, ReturnType<typeof budgetLimits>>();
  for (const integration of integrations.values())
    byProvider.set(integration.provider.name, budgetLimits(integration.provider.name, integration.provider.limits));
  return [...byProvider.values()];
}

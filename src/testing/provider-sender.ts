/**
 * A fake provider sender: posts signed webhooks to an endpoint as QuickBooks or Xero would, and
 * counts a delivery as failed when the answer breaks that provider's rule — the way the provider
 * would retry it, hold back later deliveries (QuickBooks) or, after 24 hours, disable the
 * subscription (Xero).
 */

/** Whose rule the answers are judged by. */
export type SenderProvider = "quickbooks" | "xero";

/** One request sent and what came back. */
export interface SentDelivery {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly elapsedMs: number;
  /** True when the answer met the provider's rule. */
  readonly delivered: boolean;
  /** Each broken part of the rule, e.g. `status 202 is not 200`. */
  readonly problems: readonly string[];
}

export interface ProviderSender {
  /**
   * POSTs one signed webhook. `expectStatus` is the status the provider's rule wants: 200 for a
   * correctly signed request, 401 for Xero's deliberately mis-signed intent-to-receive probes.
   */
  send(url: string, webhook: { body: string; headers: Record<string, string> }, options?: { expectStatus?: 200 | 401 }): Promise<SentDelivery>;
  readonly log: readonly SentDelivery[];
  /** Requests whose answer met the rule. */
  readonly delivered: number;
  /** Requests the provider would count as failed (and retry). */
  readonly failed: number;
}

/** The providers' rules as they document them. */
const RULES: Record<SenderProvider, { deadlineMs: number; emptyBody: boolean; noCookies: boolean }> = {
  // Intuit's webhooks best practices: "HTTP 200 within 3 seconds"; any other status is retried.
  quickbooks: { deadlineMs: 3_000, emptyBody: false, noCookies: false },
  // Xero's "Configuring your server": 200 (401 for a bad signature), within 5 seconds, no body, no cookies.
  xero: { deadlineMs: 5_000, emptyBody: true, noCookies: true },
};

/** Creates a sender that judges every answer by `provider`'s rule. */
export function createProviderSender(provider: SenderProvider): ProviderSender {
  const rule = RULES[provider];
  const log: SentDelivery[] = [];
  return {
    log,
    get delivered() {
      return log.filter((entry) => entry.delivered).length;
    },
    get failed() {
      return log.filter((entry) => !entry.delivered).length;
    },
    async send(url, webhook, options = {}) {
      const expectStatus = options.expectStatus ?? 200;
      const started = performance.now();
      const response = await fetch(url, { method: "POST", headers: webhook.headers, body: webhook.body });
      const body = await response.text();
      const elapsedMs = performance.now() - started;
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const problems: string[] = [];
      if (response.status !== expectStatus) problems.push(`status ${response.status} is not ${expectStatus}`);
      if (rule.emptyBody && body !== "") problems.push(`the body is not empty (${body.length} characters)`);
      if (rule.noCookies && response.headers.has("set-cookie")) problems.push("the response sets a cookie");
      if (elapsedMs > rule.deadlineMs) problems.push(`answered after ${Math.round(elapsedMs)} ms (deadline ${rule.deadlineMs} ms)`);
      const entry: SentDelivery = { status: response.status, headers, body, elapsedMs, delivered: problems.length === 0, problems };
      log.push(entry);
      return entry;
    },
  };
}

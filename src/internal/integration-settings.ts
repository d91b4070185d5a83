// The integrations as this process runs them: each one's configured mode, the service switch, and the
// mode in force (every integration is `direct` while the service is off).
import { WebhookInboxError } from "../errors.ts";
import type { Mode } from "../types.ts";
import type { Integration } from "./receive/receive-context.ts";

/** One integration as the processor runs it. */
export interface IntegrationInfo {
  readonly id: string;
  readonly provider: string;
  /** The configured mode. */
  readonly mode: Mode;
  /** The mode in force: `direct` while `serviceEnabled` is off. */
  readonly effectiveMode: Mode;
}

const MODES: readonly Mode[] = ["direct", "immediate", "delayed"];

export class IntegrationSettings {
  readonly #integrations: ReadonlyMap<string, Integration>;
  readonly #modes = new Map<string, Mode>();
  #serviceEnabled: boolean;

  constructor(integrations: ReadonlyMap<string, Integration>, serviceEnabled: boolean) {
    this.#integrations = integrations;
    for (const [id, integration] of integrations) this.#modes.set(id, integration.mode);
    this.#serviceEnabled = serviceEnabled;
  }

  get serviceEnabled(): boolean {
    return this.#serviceEnabled;
  }

  setServiceEnabled(enabled: boolean): void {
    this.#serviceEnabled = enabled;
  }

  /** The integration, or a 404 `INTEGRATION_UNKNOWN` error. */
  integration(id: string): Integration {
    const integration = this.#integrations.get(id);
    if (!integration) throw new WebhookInboxError("INTEGRATION_UNKNOWN", `unknown integration ${JSON.stringify(id)}`, { status: 404 });
    return integration;
  }

  setMode(id: string, mode: Mode): void {
    this.integration(id);
    if (!MODES.includes(mode)) {
      throw new WebhookInboxError("CONFIG_INVALID", `mode must be "direct", "immediate" or "delayed", not ${JSON.stringify(mode)}`, { status: 400 });
    }
    this.#modes.set(id, mode);
  }

  getMode(id: string): Mode {
    this.integration(id);
    return this.#modes.get(id)!;
  }

  effectiveMode(id: string): Mode {
    return this.#serviceEnabled ? (this.#modes.get(id) ?? "immediate") : "direct";
  }

  list(): IntegrationInfo[] {
    return [...this.#integrations].map(([id, integration]) => ({
      id,
      provider: integration.provider.name,
      mode: this.#modes.get(id)!,
      effectiveMode: this.effectiveMode(id),
    }));
  }
}

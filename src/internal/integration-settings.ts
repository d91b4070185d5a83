// The integrations as this process runs them: each one's mode, the service switch (both kept in the
// store's shared state when it has one: shared-settings.ts), and the mode in force (every integration
// is `direct` while the service is off).
import { WebhookInboxError } from "../errors.ts";
import type { IntegrationInfo, InboxSettings } from "../settings.ts";
import { MODES, type Mode } from "../types.ts";
import type { Integration } from "./receive/receive-context.ts";
import { SharedSettings, type SharedSettingsOptions } from "./settings/shared-settings.ts";

export class IntegrationSettings {
  readonly #integrations: ReadonlyMap<string, Integration>;
  readonly #shared: SharedSettings;

  constructor(integrations: ReadonlyMap<string, Integration>, options: Omit<SharedSettingsOptions, "modes">) {
    this.#integrations = integrations;
    this.#shared = new SharedSettings({ ...options, modes: new Map([...integrations].map(([id, integration]) => [id, integration.mode])) });
  }

  get serviceEnabled(): boolean {
    return this.#shared.serviceEnabled;
  }

  /** Applies here at once; resolves when the change is stored. */
  setServiceEnabled(enabled: boolean, changedBy: string | null): Promise<void> {
    return this.#shared.setServiceEnabled(enabled, changedBy);
  }

  /** The integration, or a 404 `INTEGRATION_UNKNOWN` error. */
  integration(id: string): Integration {
    const integration = this.#integrations.get(id);
    if (!integration) throw new WebhookInboxError("INTEGRATION_UNKNOWN", `unknown integration ${JSON.stringify(id)}`, { status: 404 });
    return integration;
  }

  /** Throws at once for an unknown integration or mode; applies here at once; resolves when the change is stored. */
  setMode(id: string, mode: Mode, changedBy: string | null): Promise<void> {
    this.integration(id);
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new WebhookInboxError("CONFIG_INVALID", `mode must be "direct", "immediate" or "delayed", not ${JSON.stringify(mode)}`, { status: 400 });
    }
    return this.#shared.setMode(id, mode, changedBy);
  }

  getMode(id: string): Mode {
    this.integration(id);
    return this.#shared.mode(id)!;
  }

  effectiveMode(id: string): Mode {
    return this.#shared.serviceEnabled ? (this.#shared.mode(id) ?? "immediate") : "direct";
  }

  list(): IntegrationInfo[] {
    return [...this.#integrations].map(([id, integration]) => ({
      id,
      provider: integration.provider.name,
      mode: this.#shared.mode(id)!,
      effectiveMode: this.effectiveMode(id),
      modeChange: this.#shared.modeChange(id),
    }));
  }

  snapshot(): InboxSettings {
    return {
      serviceEnabled: this.#shared.serviceEnabled,
      serviceChange: this.#shared.serviceChange(),
      integrations: this.list(),
      shared: this.#shared.shared,
      refreshMs: this.#shared.refreshMs,
    };
  }

  /** Reads the stored settings (at start-up, before the first request is answered). */
  load(): Promise<void> {
    return this.#shared.load();
  }

  /** Follows changes made by other instances (change notices and the periodic re-read). */
  start(): Promise<void> {
    return this.#shared.start();
  }

  stop(): Promise<void> {
    return this.#shared.stop();
  }
}

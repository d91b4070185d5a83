// Shared settings: the service switch and each integration's mode, kept in the store's shared state and followed by every instance.
import type { Clock } from "../../clock.ts";
import type { SharedRecord, SharedStateStore } from "../../contracts/shared-state.ts";
import { MODES, type Mode, type SettingChange } from "../../types.ts";

/** The store keys: `settings:service` holds a boolean, `settings:mode:<integration>` a mode. */
export const SETTINGS_PREFIX = "settings:";
const SERVICE_KEY = `${SETTINGS_PREFIX}service`;
const MODE_KEY = `${SETTINGS_PREFIX}mode:`;

export interface SharedSettingsOptions {
  /** The store's capability; without it the settings live in this process only. */
  readonly state: SharedStateStore | undefined;
  readonly clock: Clock;
  /** The options' values: what holds until someone changes a setting (the defaults of a fresh store). */
  readonly serviceEnabled: boolean;
  readonly modes: ReadonlyMap<string, Mode>;
  /** How often the store is re-read, as the fallback of `watchRecords`. */
  readonly refreshMs: number;
  /** Reports a failed re-read (the previous values stay in force). */
  readonly onError: (error: unknown, message: string) => void;
}

/**
 * The settings as this instance applies them. Reads are synchronous (the request path asks on every
 * receive); the store is re-read at start, on every change notice and every `refreshMs`, so a change
 * made by any instance applies here within `refreshMs` (at once with a notice). A stored value wins
 * over the option; an unset key keeps the option's value.
 */
export class SharedSettings {
  readonly #options: SharedSettingsOptions;
  #serviceEnabled: boolean;
  readonly #modes: Map<string, Mode>;
  readonly #changes = new Map<string, SettingChange>();
  /** Bumped by every local write: a re-read that started before it must not undo it. */
  #writes = 0;
  #loading: Promise<void> | null = null;
  #reloadAgain = false;
  #timer: NodeJS.Timeout | null = null;
  #unwatch: (() => Promise<void>) | null = null;

  constructor(options: SharedSettingsOptions) {
    this.#options = options;
    this.#serviceEnabled = options.serviceEnabled;
    this.#modes = new Map(options.modes);
  }

  /** True when the settings are stored in the store and shared by every instance over it. */
  get shared(): boolean {
    return this.#options.state !== undefined;
  }

  get refreshMs(): number {
    return this.#options.refreshMs;
  }

  get serviceEnabled(): boolean {
    return this.#serviceEnabled;
  }

  mode(integration: string): Mode | undefined {
    return this.#modes.get(integration);
  }

  serviceChange(): SettingChange | null {
    return this.#changes.get(SERVICE_KEY) ?? null;
  }

  modeChange(integration: string): SettingChange | null {
    return this.#changes.get(MODE_KEY + integration) ?? null;
  }

  /** Applies here at once, then stores the change; resolves when it is stored. */
  setServiceEnabled(enabled: boolean, changedBy: string | null): Promise<void> {
    this.#serviceEnabled = enabled;
    return this.#write(SERVICE_KEY, enabled, changedBy);
  }

  setMode(integration: string, mode: Mode, changedBy: string | null): Promise<void> {
    this.#modes.set(integration, mode);
    return this.#write(MODE_KEY + integration, mode, changedBy);
  }

  /** Reads the stored settings now (one read at a time; a request made during a read runs once more after it). */
  load(): Promise<void> {
    if (!this.#options.state) return Promise.resolve();
    if (this.#loading) {
      this.#reloadAgain = true;
      return this.#loading;
    }
    const loading = this.#read().finally(() => {
      this.#loading = null;
      if (this.#reloadAgain) {
        this.#reloadAgain = false;
        this.load().catch((error: unknown) => this.#options.onError(error, "re-reading the shared settings failed; the previous values stay in force"));
      }
    });
    this.#loading = loading;
    return loading;
  }

  /** Follows changes made elsewhere: the store's change notices, and a re-read every `refreshMs`. */
  async start(): Promise<void> {
    const state = this.#options.state;
    if (!state || this.#timer) return;
    this.#timer = setInterval(() => this.#reload(), this.#options.refreshMs);
    this.#timer.unref();
    if (state.watchRecords) {
      try {
        this.#unwatch = await state.watchRecords(() => this.#reload());
      } catch (error) {
        // Without notices the timer alone keeps the settings current.
        this.#options.onError(error, `watching the shared settings failed; they are re-read every ${this.#options.refreshMs} ms instead`);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const unwatch = this.#unwatch;
    this.#unwatch = null;
    await unwatch?.();
  }

  #reload(): void {
    this.load().catch((error: unknown) => this.#options.onError(error, "re-reading the shared settings failed; the previous values stay in force"));
  }

  async #read(): Promise<void> {
    const writes = this.#writes;
    const records = await this.#options.state!.readRecords({ prefix: SETTINGS_PREFIX });
    // A local change made while the read was in flight is newer than what was read.
    if (writes !== this.#writes) return this.#reload();
    for (const record of records) this.#apply(record);
  }

  async #write(key: string, value: boolean | Mode, changedBy: string | null): Promise<void> {
    this.#writes += 1;
    const changedAt = this.#options.clock.now();
    const state = this.#options.state;
    if (!state) {
      this.#changes.set(key, { changedAt, changedBy });
      return;
    }
    const record = await state.writeRecord({ key, value, changedAt, changedBy });
    if (record) this.#apply(record);
  }

  /** Takes a stored value in; values this version does not know (a newer mode, a typo made in SQL) are ignored. */
  #apply(record: SharedRecord): void {
    const change = { changedAt: record.changedAt, changedBy: record.changedBy };
    if (record.key === SERVICE_KEY && typeof record.value === "boolean") {
      this.#serviceEnabled = record.value;
      this.#changes.set(record.key, change);
    } else if (record.key.startsWith(MODE_KEY)) {
      const integration = record.key.slice(MODE_KEY.length);
      if (!this.#modes.has(integration) || !(MODES as readonly unknown[]).includes(record.value)) return;
      this.#modes.set(integration, record.value as Mode);
      this.#changes.set(record.key, change);
    }
  }
}

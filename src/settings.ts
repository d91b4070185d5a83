// The settings' public shapes: an integration as it runs, what getSettings() answers and what setMode / setServiceEnabled take.
import type { Mode, SettingChange } from "./types.ts";

/** One integration as the processor runs it. */
export interface IntegrationInfo {
  readonly id: string;
  readonly provider: string;
  /** The mode set: the option's, or the last stored change. */
  readonly mode: Mode;
  /** The mode in force: `direct` while `serviceEnabled` is off. */
  readonly effectiveMode: Mode;
  /** Who last changed the mode and when; `null` while it is the option's value. */
  readonly modeChange: SettingChange | null;
}

/** `setMode` / `setServiceEnabled` options. */
export interface SettingChangeOptions {
  /** Recorded as who made the change (an operator's name or id). @default null */
  readonly changedBy?: string | null;
}

/** What `getSettings()` answers. */
export interface InboxSettings {
  readonly serviceEnabled: boolean;
  /** Who last switched the service and when; `null` while it is the option's value. */
  readonly serviceChange: SettingChange | null;
  readonly integrations: IntegrationInfo[];
  /** True when the settings are stored in the store, shared by every instance over it and kept across restarts. */
  readonly shared: boolean;
  /** The longest a change made elsewhere takes to apply here (`settingsRefreshMs`). */
  readonly refreshMs: number;
}

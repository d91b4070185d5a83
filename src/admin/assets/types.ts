/** One file of the dashboard as the admin handler serves it. */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: string;
}

// The dashboard's embedded module is generated from src/admin/ui/: this fails when someone edits a UI
// file without regenerating it (npm run build:dashboard), or edits the generated module by hand.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_PATH, dashboardSources, renderDashboardModule } from "../../scripts/build-dashboard.ts";
import { createAdminHandler, createWebhookInbox, MemoryStore } from "webhook-inbox";
import { testProvider } from "webhook-inbox/testing";

describe("the dashboard's generated module", () => {
  it("is what scripts/build-dashboard.ts makes from src/admin/ui/ today", () => {
    expect(readFileSync(GENERATED_PATH, "utf8")).toBe(renderDashboardModule());
  });

  it("serves every UI source file byte for byte", async () => {
    const inbox = createWebhookInbox({
      store: new MemoryStore(),
      integrations: { test: { provider: testProvider({ secret: "s" }) } },
      handler: async () => {},
    });
    const admin = createAdminHandler(inbox, { authorize: () => true, basePath: "/admin" });
    const sources = dashboardSources();
    expect(sources.map((source) => source.name)).toContain("app.js");
    for (const { name, body } of sources) {
      const url = name === "index.html" ? "http://x/admin/" : `http://x/admin/assets/${name}`;
      const response = await admin(new Request(url));
      expect(response.status, name).toBe(200);
      expect(await response.text(), name).toBe(body);
    }
  });

  it("type-checks its JavaScript (every file opts in with // @ts-check)", () => {
    for (const { name, body } of dashboardSources().filter((source) => source.name.endsWith(".js"))) {
      expect(body.startsWith("// @ts-check\n"), name).toBe(true);
    }
  });
});

// docs/admin-api.md is generated from ADMIN_ROUTES and the admin's zod schemas: this fails when a
// route, a parameter or an error changes without the document (npx tsx scripts/admin-api-docs.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ADMIN_ROUTES } from "webhook-inbox";
import { DOC_PATH, renderAdminApiDocs } from "../../scripts/admin-api-docs.ts";

describe("docs/admin-api.md", () => {
  const doc = readFileSync(DOC_PATH, "utf8");

  it("is what scripts/admin-api-docs.ts makes from the routes today", () => {
    expect(doc).toBe(renderAdminApiDocs());
  });

  it("documents every route with its query, body and confirmation rules", () => {
    for (const route of ADMIN_ROUTES) expect(doc, route.pattern).toContain(`### ${route.method} ${route.pattern}\n`);
    expect(doc).toContain("| `status` | comma list | no | any of queued, processing, retrying, succeeded, failed, stale |");
    expect(doc).toContain("| `expectedCount` | integer ≥ 0 | no |");
    expect(doc).toContain("must be sent as `Content-Type: application/json`");
    expect(doc).toContain("| 409 | `COUNT_MISMATCH` |");
  });
});

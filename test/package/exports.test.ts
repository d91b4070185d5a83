import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { entry } from "../../tsup.config.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
const tsconfig = JSON.parse(readFileSync(new URL("../../tsconfig.json", import.meta.url), "utf8"));

const subpath = (name: string) => (name === "index" ? "." : `./${name}`);
const packageName = (name: string) => (name === "index" ? "webhook-inbox" : `webhook-inbox/${name}`);

describe("package entries", () => {
  it("match between tsup entries, package.json exports and tsconfig paths", () => {
    const exported = Object.keys(pkg.exports)
      .filter((key) => key !== "./package.json")
      .sort();
    expect(exported).toEqual(Object.keys(entry).map(subpath).sort());
    expect(Object.keys(tsconfig.compilerOptions.paths).sort()).toEqual(Object.keys(entry).map(packageName).sort());
    for (const [name, source] of Object.entries(entry)) {
      expect(tsconfig.compilerOptions.paths[packageName(name)]).toEqual([`./${source}`]);
      expect(pkg.exports[subpath(name)]).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
    }
  });

  it("maps every subpath in typesVersions, for TypeScript's node10 resolution (which ignores exports)", () => {
    const subpaths = Object.keys(entry).filter((name) => name !== "index");
    expect(pkg.typesVersions).toEqual({ "*": Object.fromEntries(subpaths.map((name) => [name, [`./dist/${name}.d.cts`]])) });
    expect(pkg.types).toBe("./dist/index.d.cts");
  });

  it("keeps every adapter's peer optional and out of the dependencies", () => {
    for (const peer of Object.keys(pkg.peerDependencies)) {
      expect(pkg.peerDependenciesMeta[peer]).toEqual({ optional: true });
      expect(pkg.dependencies[peer]).toBeUndefined();
    }
    expect(pkg.engines.node).toBe(">=20");
  });
});

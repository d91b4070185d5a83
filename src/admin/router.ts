import type { Route } from "./context.ts";

/** A compiled route table: literal segments and `:name` parameters, first match wins. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

export type MatchResult =
  | { readonly kind: "found"; readonly match: RouteMatch }
  | { readonly kind: "wrong-method"; readonly allow: string[] }
  | { readonly kind: "none" };

/** Matches `path` (relative to `api/`, no leading slash) against `routes`. */
export function matchRoute(routes: readonly Route[], method: string, path: string): MatchResult {
  const segments = path.split("/");
  const allow = new Set<string>();
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method || (method === "HEAD" && route.method === "GET")) return { kind: "found", match: { route, params } };
    allow.add(route.method);
  }
  return allow.size > 0 ? { kind: "wrong-method", allow: [...allow] } : { kind: "none" };
}

function matchPattern(pattern: string, segments: readonly string[]): Record<string, string> | null {
  const parts = pattern.split("/");
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const segment = segments[index]!;
    if (part.startsWith(":")) {
      if (segment === "") return null;
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return null;
      }
      params[part.slice(1)] = value;
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}

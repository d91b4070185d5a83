/**
 * Summarises a .cpuprofile: the functions with the most self time and the most inclusive time.
 * Usage: `npx tsx bench/lib/top-frames.ts <file.cpuprofile> [rows]`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Top frames of a V8 CPU profile as text lines (percent of all sampled time, idle excluded). */
export function topFrames(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, rows = 20): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.replace(/^.*?\/(src|adapters|bench|node_modules)\//, "$1/")}`.trim();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)!;
    const delta = profile.timeDeltas[index] ?? 0;
    if (node.callFrame.functionName === "(idle)") return;
    busy += delta;
    self.set(label(node), (self.get(label(node)) ?? 0) + delta);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const key = label(byId.get(current)!);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
      seen.add(key);
    }
  });
  const top = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([key, time]) => `${((100 * time) / busy).toFixed(1).padStart(5)}%  ${key}`);
  return [`busy ${(busy / 1000).toFixed(0)} ms`, "self:", ...top(self), "inclusive:", ...top(inclusive).filter((line) => !line.includes("(root)"))];
}

if (process.argv[1]?.endsWith("top-frames.ts")) {
  const [file, rows] = process.argv.slice(2);
  if (!file) throw new Error("usage: top-frames.ts <file.cpuprofile> [rows]");
  console.log(topFrames(JSON.parse(readFileSync(file, "utf8")), Number(rows ?? 20)).join("\n"));
}

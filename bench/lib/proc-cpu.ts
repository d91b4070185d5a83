/**
 * CPU time spent by processes, read from `/proc/<pid>/stat` (user + system, in clock ticks): the
 * bench counts what each request costs in CPU, not only how many the machine answered, because on a
 * shared 2-core machine throughput alone mixes the server's cost with the load generator's and the
 * neighbours'.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Seconds of CPU (user + system) the process has used so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5) are utime and stime; here they are at index 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Whether /proc can be read on this machine (Linux). */
export function canReadProcCpu(): boolean {
  return cpuSecondsOf(process.pid) > 0;
}

/** A snapshot of several processes' CPU, to subtract from a later one. */
export type CpuSnapshot = ReadonlyMap<number, number>;

export function snapshot(pids: Iterable<number>): CpuSnapshot {
  const seconds = new Map<number, number>();
  for (const pid of pids) seconds.set(pid, cpuSecondsOf(pid));
  return seconds;
}

/** CPU seconds spent since `before` by the processes of `before` (and by new ones in `pids`, from 0). */
export function spentSince(before: CpuSnapshot, pids: Iterable<number> = before.keys()): number {
  let total = 0;
  for (const pid of new Set([...before.keys(), ...pids])) total += Math.max(0, cpuSecondsOf(pid) - (before.get(pid) ?? 0));
  return total;
}

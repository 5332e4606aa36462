// Safety net for the e2e suite: when mocha exits or is interrupted (Ctrl+C, CI cancel), kill the process groups
// we started and delete the temporary folders we made. Normal teardown does both itself and unregisters them.
import { rmSync } from "node:fs";

const processGroups = new Set<number>();
const tempDirs = new Set<string>();
const extraKillers = new Set<() => void>();

export function killProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

function cleanUpNow(): void {
  for (const pgid of processGroups) killProcessGroup(pgid, "SIGKILL");
  for (const kill of extraKillers) kill();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

process.once("exit", cleanUpNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    cleanUpNow();
    process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
  });
}

/** Kills `pgid` (SIGKILL) if the test process ends before `release()` is called. */
export function guardProcessGroup(pgid: number): { release(): void } {
  processGroups.add(pgid);
  return { release: () => processGroups.delete(pgid) };
}

/** Runs `kill` (synchronously) if the test process ends before `release()` is called. */
export function guardWith(kill: () => void): { release(): void } {
  extraKillers.add(kill);
  return { release: () => extraKillers.delete(kill) };
}

/** Deletes `dir` if the test process ends before `release()` is called. */
export function guardTempDir(dir: string): { release(): void } {
  tempDirs.add(dir);
  return { release: () => tempDirs.delete(dir) };
}

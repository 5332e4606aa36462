/** Fixtures for the power tests: a fake powercap tree in a temp dir, the fake nvidia-smi, and waiting with a deadline. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/power');

/** The fake nvidia-smi, made executable here (a checkout may not keep the mode bit). */
export function fakeNvidiaSmi(): string {
  const file = path.join(FIXTURES, 'fake-nvidia-smi.js');
  chmodSync(file, 0o755);
  return file;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ZoneSpec {
  name: string;
  energyUj?: number;
  maxRangeUj?: number;
  /** energy_uj as a directory: reading it fails with EISDIR even for root (chmod 000 would not stop root). */
  unreadable?: boolean;
}

/** Writes `<root>/<zone>/{name,energy_uj,max_energy_range_uj}` as the flat /sys/class/powercap view does. */
export function writePowercap(root: string, zones: Record<string, ZoneSpec>): void {
  for (const [zone, spec] of Object.entries(zones)) {
    const dir = path.join(root, zone);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'name'), `${spec.name}\n`);
    if (spec.maxRangeUj !== undefined) writeFileSync(path.join(dir, 'max_energy_range_uj'), `${spec.maxRangeUj}\n`);
    if (spec.unreadable) mkdirSync(path.join(dir, 'energy_uj'), { recursive: true });
    else if (spec.energyUj !== undefined) writeFileSync(path.join(dir, 'energy_uj'), `${spec.energyUj}\n`);
  }
}

export function setEnergy(root: string, zone: string, energyUj: number): void {
  writeFileSync(path.join(root, zone, 'energy_uj'), `${energyUj}\n`);
}

/** Resolves when `check` returns a value, polling on the event loop; rejects with `what` after `deadlineMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

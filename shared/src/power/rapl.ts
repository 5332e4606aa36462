/**
 * CPU package and DRAM energy from Linux powercap RAPL (`/sys/class/powercap/intel-rapl:*`). Zones are chosen by their
 * `name` file: top-level `package-N` zones are CPU, `dram` zones are RAM; nested `core`/`uncore` zones are already part
 * of their package and are never added; `psys` (whole platform) would double-count and is left out; the
 * `intel-rapl-mmio` copy of a package is dropped when the MSR zone of that name exists. Counters (µJ) are differenced
 * with wrap-around corrected by `max_energy_range_uj`.
 *
 * `energy_uj` is root-only on most kernels since 2020 (CVE-2020-8694); when it cannot be read the probe fails with
 * the one-line fix and the sampler falls back to the load × TDP estimate. Any read error counts as unreadable, so
 * tests make a zone unreadable by making `energy_uj` a directory (chmod 000 does not stop root).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CounterIntegrator } from './integrate';
import { errorText, type PowerSource, type Probe } from './source';
import type { ComponentReading } from './types';

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap';

interface Zone {
  dir: string;
  /** `intel-rapl:0:2` */
  zone: string;
  name: string;
  kind: 'cpu' | 'ram';
  id: string;
  maxRange: number | undefined;
}

const ZONE_DIR = /^([a-z]+-rapl)(-mmio)?:(\d+(?::\d+)*)$/;

function readText(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

function readNumber(file: string): number {
  const text = readText(file);
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw new Error(`${file}: not a number (${JSON.stringify(text.slice(0, 40))})`);
  return value;
}

/** The one-line fix shown when energy_uj is root-only. */
export function raplFix(root: string): string {
  return `sudo chmod a+r ${root}/intel-rapl:*/energy_uj  (until reboot; a udev rule makes it permanent)`;
}

/** Which zones of a powercap tree to read, and why the others are not used. */
export function selectZones(root: string): { zones: Zone[]; skipped: string[] } {
  const entries = readdirSync(root).filter((entry) => ZONE_DIR.test(entry)).sort();
  const skipped: string[] = [];
  const named = entries.flatMap((entry) => {
    try {
      return [{ entry, name: readText(path.join(root, entry, 'name')) }];
    } catch (error) {
      skipped.push(`${entry}: no readable name file (${errorText(error)})`);
      return [];
    }
  });
  const msrNames = new Set(named.filter(({ entry }) => !entry.includes('-mmio:')).map(({ name }) => name));
  const zones: Zone[] = [];
  for (const { entry, name } of named) {
    const match = ZONE_DIR.exec(entry);
    if (!match) continue;
    const path_ = match[3] ?? '';
    const depth = path_.split(':').length;
    const packageIndex = path_.split(':')[0] ?? '0';
    if (match[2] && msrNames.has(name)) {
      skipped.push(`${entry} (${name}): duplicate of the MSR zone of the same name`);
      continue;
    }
    let kind: Zone['kind'] | undefined;
    let id = '';
    if (name === 'dram') {
      kind = 'ram';
      id = `ram:dram-${packageIndex}`;
    } else if (depth === 1 && /^package-\d+$/.test(name)) {
      kind = 'cpu';
      id = `cpu:${name}`;
    } else if (name === 'psys') {
      skipped.push(`${entry} (psys): whole-platform energy, would count the packages twice`);
      continue;
    } else {
      skipped.push(`${entry} (${name}): ${depth > 1 ? 'nested inside its package, already counted there' : 'not a package or dram zone'}`);
      continue;
    }
    if (zones.some((zone) => zone.id === id)) {
      skipped.push(`${entry} (${name}): a second zone for ${id}`);
      continue;
    }
    let maxRange: number | undefined;
    try {
      maxRange = readNumber(path.join(root, entry, 'max_energy_range_uj'));
    } catch {
      maxRange = undefined;
    }
    zones.push({ dir: path.join(root, entry), zone: entry, name, kind, id, maxRange });
  }
  return { zones, skipped };
}

export function probeRapl(root: string, periodMs: number, monotonicMs: number): Probe {
  let selection;
  try {
    selection = selectZones(root);
  } catch (error) {
    return { ok: false, reason: `RAPL: no powercap tree at ${root} (${errorText(error)})` };
  }
  const unreadable: string[] = [];
  const readable = selection.zones.filter((zone) => {
    try {
      readNumber(path.join(zone.dir, 'energy_uj'));
      return true;
    } catch {
      unreadable.push(zone.zone);
      return false;
    }
  });
  if (!readable.some((zone) => zone.kind === 'cpu')) {
    if (unreadable.length > 0) return { ok: false, reason: `RAPL energy_uj not readable (${unreadable.join(', ')}): ${raplFix(root)}` };
    return { ok: false, reason: `RAPL: no package zone under ${root}` };
  }
  const notes = [...selection.skipped, ...unreadable.map((zone) => `${zone}: energy_uj not readable: ${raplFix(root)}`)];
  return { ok: true, source: new RaplSource(readable, periodMs, monotonicMs), notes };
}

class RaplSource implements PowerSource {
  readonly label = 'RAPL';
  private readonly integrators = new Map<string, CounterIntegrator>();
  private readonly kinds: Set<'cpu' | 'ram'>;

  constructor(
    private readonly zones: Zone[],
    periodMs: number,
    monotonicMs: number,
  ) {
    this.kinds = new Set(zones.map((zone) => zone.kind));
    for (const zone of zones) {
      const integrator = new CounterIntegrator(1e-6, periodMs, zone.maxRange);
      this.integrators.set(zone.id, integrator);
      try {
        integrator.add(readNumber(path.join(zone.dir, 'energy_uj')), monotonicMs);
      } catch {
        // Read again on the first tick; the probe has just read it, so this is a race with a vanishing zone.
      }
    }
  }

  covers(): ReadonlySet<'cpu' | 'ram'> {
    return this.kinds;
  }

  describe(): string[] {
    return this.zones.map((zone) => `${zone.kind.toUpperCase()} ${zone.id}: RAPL ${zone.name} energy counter (${zone.dir}/energy_uj)`);
  }

  read(monotonicMs: number): ComponentReading[] {
    return this.zones.map((zone) => {
      const integrator = this.integrators.get(zone.id) ?? new CounterIntegrator(1e-6, 1000, zone.maxRange);
      const warnings: string[] = [];
      let ok = true;
      try {
        integrator.add(readNumber(path.join(zone.dir, 'energy_uj')), monotonicMs);
        if (integrator.wrapped) warnings.push(`counter wrapped at ${zone.maxRange} µJ; corrected`);
      } catch (error) {
        ok = false;
        warnings.push(`energy_uj could not be read: ${errorText(error)}`);
      }
      const reading: ComponentReading = {
        id: zone.id,
        kind: zone.kind,
        name: `RAPL ${zone.name}${zone.kind === 'ram' ? ` (package ${zone.id.split('-').pop()})` : ''}`,
        method: 'rapl',
        source: `RAPL ${zone.name}`,
        watts: ok ? integrator.lastWatts : null,
        energyJ: integrator.energyJ,
      };
      if (warnings.length > 0) reading.warnings = warnings;
      return reading;
    });
  }

  async stop(): Promise<void> {}
}

/**
 * Grams CO2e for measured energy, with the carbon model's grid intensity for a location (cloud region, country, or
 * the world average when none is given). Kept apart from the sampler: the location is a display choice and may change
 * while the measurement runs.
 */
import { resolveLocation, type LocationQuery } from '../carbon/resolve';

export type CarbonSoFar =
  | { ok: true; gramsCO2e: number; gCO2ePerKWh: number; locationKey: string; locationLabel: string; note?: string }
  | { ok: false; message: string };

/** `energyJ` joules at the location's grid intensity (no PUE: this is what the meters saw). */
export function carbonSoFar(energyJ: number, location?: LocationQuery | string): CarbonSoFar {
  const resolved = resolveLocation(location === '' ? undefined : location);
  if (!resolved.ok) return { ok: false, message: resolved.problems.map((problem) => problem.message).join('; ') };
  const { gCO2ePerKWh, key, label, note } = resolved.value;
  const result: CarbonSoFar = { ok: true, gramsCO2e: (energyJ / 3.6e6) * gCO2ePerKWh, gCO2ePerKWh, locationKey: key, locationLabel: label };
  if (note !== undefined) result.note = note;
  return result;
}

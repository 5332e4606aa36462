/** The carbon model's public API: pure, synchronous, no I/O. See README.md for the formulas and sources. */
export { estimateRun, estimateRunOrThrow, compareRuns, mfuRow, parseEstimate, peakFor, throughputBasis, shortName, CarbonModelError, type EstimateOptions } from './estimate';
export { formatEstimate, formatEstimateDetail, formatSavings, formatEnergy, formatMass, formatVolume, equivalentsOf, type Equivalent } from './format';
export { resolveGpu, resolveCpu, resolveLocation, resolveProvider, resolveVisionModel, resolveLanguageModel, resolveDataset, type ResolvedGpu, type ResolvedLocation, type LocationQuery } from './resolve';
export { loadTables, parseTables, checkTables, applyOverrides, RAW_TABLES } from './tables';
export { compactName, hubKey, hubKeys } from './names';
export * from './schemas';

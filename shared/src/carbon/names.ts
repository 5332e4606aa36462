/** Name normalisation and "did you mean" suggestions for accelerators, CPUs, places and models. */

/** Words that vendors and tools prepend and that never tell two devices apart. */
const NOISE_WORDS = new Set(['nvidia', 'tesla', 'geforce', 'amd', 'instinct', 'google', 'cloud', 'apple', 'gpu', 'r', 'tm']);

/**
 * Lower-case, vendor words dropped, everything but letters and digits removed:
 * `NVIDIA A100-SXM4-80GB` → `a100sxm480gb`, `Tesla T4` → `t4`, `NVIDIA GeForce RTX 4090` → `rtx4090`.
 */
export function compactName(name: string): string {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '' && !NOISE_WORDS.has(word))
    .join('');
}

/** Cloud region names keep their dashes (`us-east1` on GCP ≠ `us-east-1` on AWS); spaces and case go. */
export function regionKey(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '');
}

export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const left = previous[j - 1] ?? 0;
      previous[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/**
 * Up to `limit` display names whose key is close to `query` (edit distance, or one containing the
 * other), best first. `candidates` maps a normalised key to the name to show.
 */
export function suggest(query: string, candidates: ReadonlyArray<readonly [key: string, display: string]>, limit = 3): string[] {
  if (query === '') return [];
  const scored = new Map<string, number>();
  for (const [key, display] of candidates) {
    let score = editDistance(query, key);
    if (key.length >= 2 && (key.includes(query) || query.includes(key))) score = Math.min(score, 1 + Math.abs(key.length - query.length) / 10);
    const allowed = Math.max(2, Math.floor(query.length / 3));
    if (score > allowed) continue;
    const best = scored.get(display);
    if (best === undefined || score < best) scored.set(display, score);
  }
  return [...scored.entries()]
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([display]) => display);
}

export function didYouMean(suggestions: readonly string[]): string {
  return suggestions.length > 0 ? ` (did you mean ${suggestions.join(', ')}?)` : '';
}

/** Lower-case letters and digits only, for places, providers and models: `United States` → `unitedstates`. */
export function plainKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** Hub names (models, datasets): case and surrounding space go; dots, dashes and slashes stay (`qwen2.5-7b`, `glue/sst2`). */
export function hubKey(name: string): string {
  return name.trim().toLowerCase();
}

/** The keys a hub name may be known by: as written, and without its owner (`google-bert/bert-base-uncased` → `bert-base-uncased`). */
export function hubKeys(name: string): string[] {
  const key = hubKey(name);
  const slash = key.indexOf('/');
  return slash > 0 ? [key, key.slice(slash + 1)] : [key];
}

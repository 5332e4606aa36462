/** Number formatting and the fixed-width table the benchmark prints. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function mb(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${Math.round(bytes / 1024 / 1024)} MB`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export type Cell = string;

export class Table {
  private readonly rows: { label: string; cells: Cell[] }[] = [];

  constructor(
    private readonly title: string,
    private readonly columns: string[],
  ) {}

  row(label: string, ...cells: Cell[]): this {
    this.rows.push({ label, cells });
    return this;
  }

  render(labelWidth = 40, cellWidth = 26): string {
    const fit = (raw: string, width: number) => {
      const text = raw.replace(/\s*[\r\n]+\s*/g, ' ');
      return (text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text).padEnd(width);
    };
    const lines = [fit(this.title, labelWidth) + this.columns.map((c) => fit(c, cellWidth)).join('')];
    for (const { label, cells } of this.rows) lines.push(fit(`  ${label}`, labelWidth) + cells.map((c) => fit(c, cellWidth)).join(''));
    return lines.map((line) => line.trimEnd()).join('\n');
  }
}

/**
 * The footprint report webview's document, built without vscode so that its security is unit-tested: the run's
 * HTML report (from the shared report renderer, as `green-ai report` writes it) under a strict Content-Security-Policy
 * — nothing remote, no script, styles only with this page's nonce — followed by the energy-per-run chart.
 * Colours come from VS Code's theme variables.
 */

export interface ReportPageInput {
  title: string;
  /** The renderer's HTML: a whole document or a fragment. Its scripts are dropped and its styles get the nonce. */
  reportHtml: string;
  /** Inline SVG of energy per run (runsChart), or empty. */
  chartSvg: string;
  nonce: string;
  /** `webview.cspSource`: the only origin images may come from (the extension's media folder). */
  cspSource: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A random nonce for one page load (base64 of 16 random bytes). */
export function makeNonce(random: (size: number) => Uint8Array): string {
  return Buffer.from(random(16)).toString('base64');
}

export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [`default-src 'none'`, `style-src 'nonce-${nonce}'`, `img-src ${cspSource} data:`, `font-src ${cspSource}`, `script-src 'none'`, `form-action 'none'`, `base-uri 'none'`].join('; ');
}

/** The renderer's styles and body, split out of a whole document; a fragment is all body. */
export function splitReport(html: string): { styles: string[]; body: string } {
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((match) => match[1] ?? '');
  const bodyMatch = /<body\b[^>]*>([\s\S]*?)<\/body>/i.exec(html);
  let body = bodyMatch ? (bodyMatch[1] ?? '') : html.replace(/<!doctype[^>]*>|<\/?html\b[^>]*>|<head\b[^>]*>[\s\S]*?<\/head>/gi, '');
  // The page has no script: drop any, and inline event handlers, rather than trust the CSP alone.
  body = body
    .replace(/<script\b[\s\S]*?<\/script>/gi, '')
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
  return { styles, body };
}

/** VS Code theme colours for the chart and for anything the renderer leaves unstyled. */
const THEME_CSS = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 20px; }
a { color: var(--vscode-textLink-foreground); }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); padding: 2px 8px; text-align: left; }
.green-ai-runs-chart { margin-top: 24px; }
.energy-chart .label, .energy-chart .value { fill: var(--vscode-foreground); font-size: 12px; }
.energy-chart .bar { fill: var(--vscode-charts-blue, var(--vscode-textLink-foreground)); opacity: 0.6; }
.energy-chart .bar.current { fill: var(--vscode-charts-green, var(--vscode-textLink-foreground)); opacity: 1; }
`;

export function reportPage(input: ReportPageInput): string {
  const { styles, body } = splitReport(input.reportHtml);
  const nonce = escapeHtml(input.nonce);
  const styleTags = [THEME_CSS, ...styles]
    // A style's text cannot close its tag early: any "</style" inside is neutralised.
    .map((css) => `<style nonce="${nonce}">${css.replace(/<\/style/gi, '<\\/style')}</style>`)
    .join('\n');
  const chart = input.chartSvg
    ? `<section class="green-ai-runs-chart"><h2>Energy per run</h2>${input.chartSvg}</section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(input.nonce, input.cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(input.title)}</title>
${styleTags}
</head>
<body>
${body}
${chart}
</body>
</html>`;
}

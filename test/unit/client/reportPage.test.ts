import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { contentSecurityPolicy, makeNonce, reportPage, splitReport } from '../../../client/src/features/reportPage';

const RENDERED = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title><style>h1 { color: red; }</style></head>
<body><h1 onclick="alert(1)">Run report</h1><script>alert(2)</script><table><tr><td>3 kWh</td></tr></table></body></html>`;

describe('client: footprint report webview page', () => {
  const page = reportPage({ title: 'Footprint: <train>', reportHtml: RENDERED, chartSvg: '<svg class="energy-chart"></svg>', nonce: 'abc123==', cspSource: 'vscode-resource:' });

  it('has a strict CSP: nothing by default, nonce\'d styles, no script, images only from the webview source', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    assert.equal(csp, contentSecurityPolicy('abc123==', 'vscode-resource:').replace(/'/g, '&#39;'));
    assert.match(csp!, /default-src &#39;none&#39;/);
    assert.match(csp!, /script-src &#39;none&#39;/);
    assert.match(csp!, /style-src &#39;nonce-abc123==&#39;/);
  });

  it('keeps the renderer\'s content and styles, every style carrying the nonce', () => {
    assert.match(page, /<h1>Run report<\/h1>/);
    assert.match(page, /<td>3 kWh<\/td>/);
    const styles = [...page.matchAll(/<style([^>]*)>/g)].map((m) => m[1]);
    assert.ok(styles.length >= 2);
    for (const attributes of styles) assert.equal(attributes, ' nonce="abc123=="');
    assert.match(page, /h1 \{ color: red; \}/);
  });

  it('drops scripts and inline event handlers and escapes the title', () => {
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /onclick|alert/);
    assert.match(page, /<title>Footprint: &lt;train&gt;<\/title>/);
  });

  it('loads nothing remote and follows the theme', () => {
    assert.doesNotMatch(page, /https?:\/\//);
    assert.match(page, /var\(--vscode-foreground\)/);
    assert.match(page, /<h2>Energy per run<\/h2><svg class="energy-chart">/);
  });

  it('treats a fragment as the body', () => {
    assert.deepEqual(splitReport('<p>hi</p>'), { styles: [], body: '<p>hi</p>' });
  });

  it('makes a fresh nonce each time', () => {
    const nonce = makeNonce((size) => randomBytes(size));
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    assert.notEqual(nonce, makeNonce((size) => randomBytes(size)));
  });
});

/**
 * The panels' HTML shell. Pure (no vscode import) so the security properties can be
 * unit-tested: a strict CSP with a per-load nonce, only local resources, no inline style.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlParts {
  /** webview.cspSource: the origin VS Code serves local resources from. */
  cspSource: string;
  nonce: string;
  /** asWebviewUri(media/<name>.js) and media/panels.css, as strings. */
  scriptUri: string;
  styleUri: string;
  title: string;
}

/** 128 random bits, base64url: unguessable, so injected markup cannot carry a valid nonce. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** For text and double-quoted attributes (so the CSP's single quotes stay readable). */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    // Nothing loads unless allowed below (no fetch, frames, fonts, media, objects).
    "default-src 'none'",
    // Images only from the extension's media and data: URLs (the PNG export draws the SVG through one).
    `img-src ${cspSource} data:`,
    // Styles only from the extension's stylesheet; no inline <style> or style="" attributes.
    `style-src ${cspSource}`,
    // Scripts only with this load's nonce: injected markup can never run script.
    `script-src 'nonce-${nonce}'`,
  ].join('; ') + ';';
}

export function buildPanelHtml(p: PanelHtmlParts): string {
  const csp = contentSecurityPolicy(p.cspSource, p.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(p.styleUri)}">
<title>${escapeHtml(p.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>
`;
}

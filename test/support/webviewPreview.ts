/**
 * Serves the panel apps outside VS Code for screenshots and browser tests: the real HTML
 * shell and CSP (src/extension/panels/html.ts), the bundled media/*.js, a stylesheet with
 * VS Code's theme variables for a light or dark theme, and a fake `acquireVsCodeApi` that
 * answers `webview/ready` with a given host message and records what the app posts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { buildPanelHtml, makeNonce } from '../../src/extension/panels/html';
import type { HostToWebviewMessage } from '../../src/protocol/webview';

const ROOT = join(__dirname, '..', '..');

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** A subset of VS Code's Light+ / Dark+ variables, enough for the panels' stylesheet. */
const THEMES: Record<'light' | 'dark', Record<string, string>> = {
  light: {
    foreground: '#3b3b3b', 'editor-background': '#ffffff', descriptionForeground: '#717171', focusBorder: '#005fb8',
    'panel-border': '#e5e5e5', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc', 'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-border': '#c8c8c8',
    'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'editorWidget-background': '#f8f8f8',
    'testing-iconPassed': '#388a34', errorForeground: '#a1260d', 'charts-blue': '#1a85ff',
  },
  dark: {
    foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d', focusBorder: '#0078d4',
    'panel-border': '#2b2b2b', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c', 'editorHoverWidget-background': '#202020', 'editorHoverWidget-border': '#454545',
    'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'editorWidget-background': '#202020',
    'testing-iconPassed': '#73c991', errorForeground: '#f85149', 'charts-blue': '#3794ff',
  },
};

function themeCss(theme: 'light' | 'dark'): string {
  const vars = Object.entries(THEMES[theme]).map(([k, v]) => `--vscode-${k}: ${v};`).join(' ');
  return `:root { ${vars} --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace; }`;
}

function fakeApi(message: HostToWebviewMessage): string {
  return `window.__posted = [];
window.acquireVsCodeApi = () => ({
  postMessage(m) {
    window.__posted.push(m);
    if (m && m.type === 'webview/ready') setTimeout(() => window.postMessage(${JSON.stringify(message)}, '*'), 0);
  },
  getState() { return undefined; },
  setState() {},
});`;
}

export interface PreviewPage { app: 'result' | 'attention'; theme: 'light' | 'dark'; message: HostToWebviewMessage }

/** Bundles the webview apps (esbuild, about a second). */
export function buildMedia(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

/** Serves pages at /page/<index>; returns the base URL and a close function. */
export async function servePreview(pages: PreviewPage[]): Promise<{ url: (i: number) => string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => { res.writeHead(200, { 'content-type': type }); res.end(body); };
    const page = /^\/(page|fake|theme)\/(\d+)/.exec(u.pathname);
    if (page) {
      const p = pages[Number(page[2])];
      if (!p) { res.writeHead(404); res.end(); return; }
      if (page[1] === 'fake') return send('text/javascript', fakeApi(p.message));
      if (page[1] === 'theme') return send('text/css', themeCss(p.theme));
      const nonce = makeNonce();
      const origin = `http://${req.headers.host}`;
      let html = buildPanelHtml({ cspSource: origin, nonce, scriptUri: `/media/${p.app}.js`, styleUri: '/media/panels.css', title: p.app });
      // Like VS Code: theme variables first, the body class, then the host's script.
      html = html.replace('<link rel', `<link rel="stylesheet" href="/theme/${page[2]}">\n<link rel`)
        .replace('<body>', `<body class="vscode-${p.theme}">`)
        .replace('<script nonce', `<script nonce="${nonce}" src="/fake/${page[2]}"></script>\n<script nonce`);
      return send('text/html', html);
    }
    const file = normalize(join(ROOT, u.pathname));
    if (u.pathname.startsWith('/media/') && file.startsWith(join(ROOT, 'media')) && existsSync(file)) {
      return send(file.endsWith('.css') ? 'text/css' : 'text/javascript', readFileSync(file));
    }
    res.writeHead(u.pathname === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (i) => `http://127.0.0.1:${port}/page/${i}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

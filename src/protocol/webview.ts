/**
 * Messages between the extension host and the webview panels (postMessage). This file and
 * results.ts/ops.ts are the only code both sides share. Names are `scope/noun/verb`; each
 * message has an `is…` guard so neither side switches on an untyped string.
 *
 * Direction:
 *   host → webview: `run/show`, `attention/show`, `export/request`
 *   webview → host: `webview/ready`, `head/open`, `score/open`, `export/save`
 */
import type { SavedRun } from './ops';
import type { AttentionResult } from './results';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** What the webview needs to know about the theme beyond the CSS variables VS Code sets. */
export interface ThemeHints { kind: ThemeKind }

export type ExportFormat = 'png' | 'svg' | 'csv' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['png', 'svg', 'csv', 'json'];

/** host → webview: draw a saved run (any analysis result); `file` is where it is saved, when it is. */
export interface RunShowMessage { type: 'run/show'; run: SavedRun; theme: ThemeHints; title?: string; file?: string }

/** host → webview: draw attention patterns; `focus` is the head to show large. */
export interface AttentionShowMessage {
  type: 'attention/show';
  result: AttentionResult;
  focus?: { layer: number; head: number };
  prompt?: string;
  theme: ThemeHints;
}

/** host → webview: the user ran "Export figure"; the webview answers with `export/save`. */
export interface ExportRequestMessage { type: 'export/request'; format: ExportFormat }

export type HostToWebviewMessage = RunShowMessage | AttentionShowMessage | ExportRequestMessage;

/** webview → host: the app has loaded and its listener is installed; (re)send the data. */
export interface WebviewReadyMessage { type: 'webview/ready' }

/** webview → host: the user chose a head (click / Enter) — open its attention pattern. */
export interface HeadOpenMessage { type: 'head/open'; layer: number; head: number; promptIndex: number }

/**
 * webview → host: the user chose a cell (query, key) of head L.H's attention pattern —
 * split that attention score over the upstream components (key side).
 */
export interface ScoreOpenMessage { type: 'score/open'; layer: number; head: number; query: number; key: number }

/** webview → host: save an exported figure; `data` is text, or base64 for PNG. */
export interface ExportSaveMessage {
  type: 'export/save';
  format: ExportFormat;
  data: string;
  suggestedName: string;
}

export type WebviewToHostMessage = WebviewReadyMessage | HeadOpenMessage | ScoreOpenMessage | ExportSaveMessage;

function isObj(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFormat = (v: unknown): v is ExportFormat => typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v);
const isTheme = (v: unknown): v is ThemeHints => isObj(v) && typeof v.kind === 'string';

export function isRunShowMessage(m: unknown): m is RunShowMessage {
  return isObj(m) && m.type === 'run/show' && isObj(m.run) && typeof m.run.command === 'string' && isTheme(m.theme);
}
export function isAttentionShowMessage(m: unknown): m is AttentionShowMessage {
  return isObj(m) && m.type === 'attention/show' && isObj(m.result) && Array.isArray(m.result.values) && isTheme(m.theme);
}
export function isExportRequestMessage(m: unknown): m is ExportRequestMessage {
  return isObj(m) && m.type === 'export/request' && isFormat(m.format);
}
export function isWebviewReadyMessage(m: unknown): m is WebviewReadyMessage {
  return isObj(m) && m.type === 'webview/ready';
}
export function isHeadOpenMessage(m: unknown): m is HeadOpenMessage {
  return isObj(m) && m.type === 'head/open' && isInt(m.layer) && isInt(m.head) && isInt(m.promptIndex);
}
/** Shape only; whether the head and positions exist in the panel's result is the host's check. */
export function isScoreOpenMessage(m: unknown): m is ScoreOpenMessage {
  return isObj(m) && m.type === 'score/open' && isInt(m.layer) && isInt(m.head) && isInt(m.query) && isInt(m.key) && m.key <= m.query;
}
export function isExportSaveMessage(m: unknown): m is ExportSaveMessage {
  return (
    isObj(m) && m.type === 'export/save' && isFormat(m.format) && typeof m.data === 'string' && typeof m.suggestedName === 'string'
  );
}

/**
 * What a panel's webview keeps with `vscode.setState`; VS Code hands it to the panel
 * serializer after a window reload, so the same figure comes back. A saved run is kept
 * by its file (small, and the file stays the truth), else inline.
 */
export type PanelState =
  | { kind: 'run'; file?: string; run?: SavedRun; title?: string }
  | { kind: 'attention'; result: AttentionResult; focus?: { layer: number; head: number }; prompt?: string };

export function runPanelState(m: RunShowMessage): PanelState {
  return m.file ? { kind: 'run', file: m.file, title: m.title } : { kind: 'run', run: m.run, title: m.title };
}

export function attentionPanelState(m: AttentionShowMessage): PanelState {
  return { kind: 'attention', result: m.result, focus: m.focus, prompt: m.prompt };
}

export function isRunPanelState(s: unknown): s is Extract<PanelState, { kind: 'run' }> {
  return isObj(s) && s.kind === 'run' && (typeof s.file === 'string' || (isObj(s.run) && typeof s.run.command === 'string'));
}
export function isAttentionPanelState(s: unknown): s is Extract<PanelState, { kind: 'attention' }> {
  return isObj(s) && s.kind === 'attention' && isObj(s.result) && Array.isArray(s.result.values);
}

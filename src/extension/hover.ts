/**
 * Hover logit lens: hovering a word of a prompt (a `clean`/`corrupted` string of a
 * `*.circuit.json`, or any text inside the current selection) shows what the model
 * predicts at that token after each layer, and the final top-5. Cached per
 * (model, prompt, position), so a second hover is instant.
 */
import * as vscode from 'vscode';
import type { LogitLensResult } from '../protocol/results';
import { displayToken } from '../protocol/tokens';
import type { EngineSession } from './engineSession';
import { parseJsonTree, promptStringAt } from './jsonLocate';
import { isPromptSetDocument } from './promptInput';
import { readSettings } from './settings';

const CACHE_LIMIT = 256;

/** Markdown-escapes token text (tokens can be `|`, `*`, `<|endoftext|>`, backticks, …). */
export function escapeMarkdown(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[\\`*_{}[\]()#+\-.!|~>]/g, (c) => `\\${c}`);
}

function tok(s: string): string {
  return escapeMarkdown(displayToken(s));
}

/** The token position containing character `charIndex` of `prompt`, from its `strTokens` (BOS first when prependBos). */
export function positionAt(strTokens: readonly string[], charIndex: number, prependBos: boolean): number {
  let end = 0;
  for (let i = prependBos ? 1 : 0; i < strTokens.length; i++) {
    end += strTokens[i].length;
    if (charIndex < end) return i;
  }
  return strTokens.length - 1;
}

export function logitLensMarkdown(r: LogitLensResult): string {
  const lines = [`**Logit lens** at ${tok(r.strTokens[r.pos])} (position ${r.pos}): what the model predicts next`, '', '| after | top prediction | prob |', '|---|---|---:|'];
  for (const l of r.layers) {
    const t = l.top[0];
    lines.push(`| ${escapeMarkdown(l.label)} | ${t ? tok(t.token) : ''} | ${t ? t.prob.toFixed(3) : ''} |`);
  }
  const final = r.layers.at(-1);
  if (final) {
    lines.push('', '**Final top-5:** ' + final.top.slice(0, 5).map((t) => `${tok(t.token)} ${(t.prob * 100).toFixed(1)}%`).join(' · '));
  }
  return lines.join('\n');
}

interface HoverTarget { prompt: string; charIndex: number; prependBos: boolean; range: vscode.Range }

function targetAt(doc: vscode.TextDocument, position: vscode.Position): HoverTarget | undefined {
  const offset = doc.offsetAt(position);
  if (isPromptSetDocument(doc)) {
    try {
      const root = parseJsonTree(doc.getText());
      const hit = promptStringAt(root, offset);
      if (!hit || (hit.field !== 'clean' && hit.field !== 'corrupted')) return undefined;
      const prependBos = (root.value as { prependBos?: boolean }).prependBos ?? true;
      const range = doc.getWordRangeAtPosition(position) ?? new vscode.Range(position, position);
      return { prompt: hit.node.value as string, charIndex: hit.charIndex, prependBos, range };
    } catch {
      return undefined;
    }
  }
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  const sel = editor?.selection;
  if (!sel || sel.isEmpty || !sel.contains(position) || position.isEqual(sel.end)) return undefined;
  return { prompt: doc.getText(sel), charIndex: offset - doc.offsetAt(sel.start), prependBos: true, range: doc.getWordRangeAtPosition(position) ?? sel };
}

export class LogitLensHover implements vscode.HoverProvider {
  private readonly cache = new Map<string, string>();

  constructor(private readonly session: EngineSession) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const settings = readSettings();
    if (!settings.hoverEnabled) return undefined;
    const t = targetAt(doc, position);
    if (!t) return undefined;
    if (!this.session.model && !settings.hoverAutoLoad) {
      const md = new vscode.MarkdownString('Circuit Explorer: [load a model](command:circuitExplorer.loadModel) to see the logit lens here.');
      md.isTrusted = { enabledCommands: ['circuitExplorer.loadModel'] };
      return new vscode.Hover(md, t.range);
    }
    try {
      if (!this.session.model) await this.session.ensureModel();
      const markdown = await this.lens(t, token);
      return markdown === undefined ? undefined : new vscode.Hover(new vscode.MarkdownString(markdown), t.range);
    } catch (err) {
      if (token.isCancellationRequested) return undefined;
      return new vscode.Hover(new vscode.MarkdownString().appendText(`Circuit Explorer: ${(err as Error).message.split('\n')[0]}`), t.range);
    }
  }

  /** The hover text for a target: tokenize to find the position, then the cached or fresh logit lens. */
  private async lens(t: HoverTarget, token: vscode.CancellationToken): Promise<string | undefined> {
    const m = this.session.model!;
    const ctl = new AbortController();
    token.onCancellationRequested(() => ctl.abort());
    const toks = await this.session.runQuiet({ op: 'tokenize', text: t.prompt, prependBos: t.prependBos }, ctl.signal);
    const pos = positionAt(toks.strTokens, t.charIndex, t.prependBos);
    const key = JSON.stringify([m.id, m.processing, t.prependBos, t.prompt, pos]);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const r = await this.session.runQuiet({ op: 'logit-lens', prompt: t.prompt, pos, topK: 5, prependBos: t.prependBos }, ctl.signal);
    const md = logitLensMarkdown(r);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, md);
    return md;
  }

  clear(): void {
    this.cache.clear();
  }
}

/**
 * Circuit Explorer: Activation Patching — one `transformer_lens.patching` sweep over a
 * prompt set — and the body it shares with Attribution Patching (attributionPatching.ts).
 */
import * as vscode from 'vscode';
import type { PatchKind } from '../../protocol/results';
import { UserError } from '../../engine/errors';
import type { CommandModule, Services } from '../services';
import { resolveSpec, type PromptArgs } from '../promptInput';
import { runAndShow, type CommandOutcome } from '../runAndShow';
import { argsOf } from './args';

/** Every kind, with what it patches (shown in the quick pick). */
export const PATCH_KINDS: readonly { kind: PatchKind; description: string }[] = [
  { kind: 'resid_pre', description: 'residual stream before each block, by layer × position' },
  { kind: 'resid_mid', description: 'residual stream between attention and MLP, by layer × position' },
  { kind: 'attn_out', description: 'attention layer output, by layer × position' },
  { kind: 'mlp_out', description: 'MLP output, by layer × position' },
  { kind: 'block_every', description: 'resid_pre, attn_out and mlp_out together [3, layer, position]' },
  { kind: 'attn_head_out_all_pos', description: 'each head\'s output (hook_z) at every position, layer × head' },
  { kind: 'attn_head_q_all_pos', description: 'each head\'s queries, layer × head' },
  { kind: 'attn_head_k_all_pos', description: 'each head\'s keys, layer × head' },
  { kind: 'attn_head_v_all_pos', description: 'each head\'s values, layer × head' },
  { kind: 'attn_head_pattern_all_pos', description: 'each head\'s attention pattern, layer × head' },
  { kind: 'attn_head_all_pos_every', description: 'output, query, key, value and pattern [5, layer, head]' },
  { kind: 'attn_head_out_by_pos', description: 'each head\'s output by position, layer × position × head' },
  { kind: 'attn_head_q_by_pos', description: 'each head\'s queries by position' },
  { kind: 'attn_head_k_by_pos', description: 'each head\'s keys by position' },
  { kind: 'attn_head_v_by_pos', description: 'each head\'s values by position' },
  { kind: 'attn_head_pattern_by_pos', description: 'each head\'s pattern by query position' },
];

/** How the two patching commands differ: the method asked of the op and the words shown. */
export interface PatchingFlavour {
  method: 'activation' | 'attribution';
  /** "Activation Patching": the command's name in titles. */
  name: string;
  /** What the quick pick asks: "patch", "attribute". */
  verb: string;
}

/**
 * The body of both patching commands: the kind (argument or quick pick), the prompt set,
 * then run, save and show. Activation patching sends no `method` (the op's default), so
 * its saved requests stay as they were.
 */
export async function runPatchingCommand(s: Services, raw: unknown, f: PatchingFlavour): Promise<CommandOutcome<'patch'> | undefined> {
  const a = argsOf<PromptArgs & { kind: PatchKind; noising: boolean }>(raw);
  let kind = a.kind;
  if (kind !== undefined && !PATCH_KINDS.some((k) => k.kind === kind)) throw new UserError(`unknown patching kind "${kind}": expected one of ${PATCH_KINDS.map((k) => k.kind).join(', ')}`);
  if (!kind) {
    const pick = await vscode.window.showQuickPick(PATCH_KINDS.map((k) => ({ label: k.kind, description: k.description })), { title: `${f.name}: what to ${f.verb}`, matchOnDescription: true });
    if (!pick) return undefined;
    kind = pick.label as PatchKind;
  }
  const got = await resolveSpec(s.session, a, f.name);
  if (!got) return undefined;
  const method = f.method === 'activation' ? {} : { method: f.method };
  return runAndShow(s, { op: 'patch', spec: got.spec, kind, noising: a.noising ?? false, ...method }, `${f.name.toLowerCase()} (${kind})`);
}

export const activationPatching: CommandModule = {
  id: 'circuitExplorer.activationPatching',
  run: (s, raw) => runPatchingCommand(s, raw, { method: 'activation', name: 'Activation Patching', verb: 'patch' }),
};

/**
 * Sample saved runs in the exact SavedRun shape (CONTRACTS §3) for the panel previews and
 * the webview tests: the demo model's shape (3 layers, 4 heads) on an IOI prompt, with
 * values made up but structured like real results (DLA and score-attribution pieces add up exactly).
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { AttentionResult, PatchKind, PatchResult } from '../../src/protocol/results';
import { mulberry32 } from '../../src/engine/random';

export const IOI_PROMPT = 'When John and Mary went to the shops, John gave the bag to';
export const IOI_TOKENS = ['<|endoftext|>', 'When', ' John', ' and', ' Mary', ' went', ' to', ' the', ' shops', ',', ' John', ' gave', ' the', ' bag', ' to'];
export const XSS = '<img src=x onerror=alert(1)>';

const L = 3;
const H = 4;
const T = IOI_TOKENS.length;

/** Deterministic pseudo-random in [-1, 1) so previews are stable. */
function rng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

const base = {
  version: 1 as const,
  model: { id: 'circuit-demo-gpt2-3l', processing: { foldLn: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true } },
  seconds: 0.42,
  engine: { device: 'cpu', onnxruntime: '1.30.0' },
};
const spec = { name: 'IOI', prependBos: true, prompts: [{ clean: IOI_PROMPT, corrupted: 'When John and Mary went to the shops, Mary gave the bag to', answer: ' Mary', wrong: ' John' }] };

/** resid_pre-like structure: the name positions matter early, the last position late. */
function residValues(r: () => number): number[] {
  const v: number[] = [];
  for (let l = 0; l < L; l++) for (let t = 0; t < T; t++) {
    const name = t === 10 ? 1 - l / (L - 1) : 0;
    const end = t === T - 1 ? l / (L - 1) : 0;
    v.push(name + end + 0.04 * r());
  }
  return v;
}

function patchRun(kind: PatchKind, dims: number[], axes: string[], values: number[], extra: Partial<PatchResult> = {}): SavedRun {
  const run: SavedRun<'patch'> = {
    ...base,
    command: 'patch',
    spec: { op: 'patch', spec, kind },
    result: { kind, dims, axes, labels: {}, values, clean: -0.3109, corrupted: 0.3109, noising: false, strTokens: IOI_TOKENS, seconds: 0.4, ...extra },
  };
  // SavedRun<'patch'> is a SavedRun; the generic's variance needs the cast.
  return run as unknown as SavedRun;
}

export function sampleRuns(): Record<string, SavedRun> {
  const r = rng(7);
  const heads = Array.from({ length: L * H }, () => 0.3 * r());
  heads[2 * H + 1] = 0.82;
  heads[1 * H + 3] = -0.45;
  const every = Array.from({ length: 5 * L * H }, (_, i) => (i < L * H ? heads[i] : 0.25 * r()));
  const byPos = Array.from({ length: L * T * H }, (_, i) => {
    const t = Math.floor(i / H) % T;
    return (t === T - 1 || t === 10 ? 0.5 : 0.03) * r();
  });
  const comps = ['embed', 'pos_embed', ...Array.from({ length: L }, (_, l) => [`${l} attn`, `${l} mlp`]).flat()];
  const pieces = comps.map(() => r());
  const biasTerm = 0.0123;
  const total = pieces.reduce((a, b) => a + b, 0) + biasTerm;
  const lensTop = (l: number) => [' Mary', ' John', ' the', ' them', ' her'].map((token, k) => ({ token, id: 100 + k, prob: (0.5 - 0.09 * k) * (0.5 + l / 6) }));
  const perToken = IOI_TOKENS.slice(0, -1).map((token, pos) => {
    const lossClean = 4 + 2 * Math.abs(r());
    const delta = (pos === 9 ? 1.2 : 0.25) * r();
    return { pos, token, next: IOI_TOKENS[pos + 1], lossClean, lossAblated: lossClean + delta, delta };
  });
  const top = [...perToken].sort((a, b) => b.delta - a.delta).slice(0, 6);
  // Score attribution of L2H2 (key side): the earlier layers' heads and MLPs, the name's embedding large.
  const scoreComps = Array.from({ length: 2 * (H + 1) }, () => 0.6 * r());
  const scoreMisc = { embed: -1.9, posEmbed: 0.31, attnBias: 0.08, otherBias: -0.12 };
  const scoreTotal = scoreComps.reduce((a, b) => a + b, 0) + scoreMisc.embed + scoreMisc.posEmbed + scoreMisc.attnBias + scoreMisc.otherBias;
  return {
    resid_pre: patchRun('resid_pre', [L, T], ['layer', 'pos'], residValues(r)),
    head_out: patchRun('attn_head_out_all_pos', [L, H], ['layer', 'head'], heads),
    block_every: patchRun('block_every', [3, L, T], ['facet', 'layer', 'pos'], [...residValues(r), ...residValues(r).map((v) => v * 0.5), ...residValues(r).map((v) => v * 0.3)]),
    head_every: patchRun('attn_head_all_pos_every', [5, L, H], ['facet', 'layer', 'head'], every),
    head_by_pos: patchRun('attn_head_out_by_pos', [L, T, H], ['layer', 'pos', 'head'], byPos),
    path_patch: {
      ...base,
      command: 'path-patch',
      spec: { op: 'path-patch', spec, receivers: ['2.1'], receiverInput: 'q' },
      result: { dims: [L, H], axes: ['layer', 'head'], labels: {}, values: heads.map((v) => v * 0.6), receivers: ['2.1'], receiverInput: 'q', clean: -0.3109, corrupted: 0.3109, seconds: 0.2 },
    },
    heads: {
      ...base,
      command: 'heads',
      spec: { op: 'heads', detect: ['previous', 'induction'] },
      result: { dims: [L, H], scores: { previous: [0.25, 0.07, 0.08, 0.09, 0.08, 0.12, 0.08, 0.1, 0.1, 0.07, 0.09, 0.09], induction: [0.01, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.01, 0.02, 0.02] } },
    },
    dla: {
      ...base,
      command: 'dla',
      spec: { op: 'dla', spec },
      result: { layers: { labels: comps, values: pieces }, heads: { dims: [L, H], values: heads }, total, actual: total + 3e-8, biasTerm, strTokens: IOI_TOKENS },
    },
    score: {
      ...base,
      command: 'score-attribution',
      spec: { op: 'score-attribution', spec, head: '2.2', side: 'key', key: 'answer' },
      result: { layer: 2, head: 2, side: 'key', queryPos: T - 1, keyPos: 4, components: { dims: [2, H + 1], values: scoreComps }, ...scoreMisc, total: scoreTotal, actual: scoreTotal + 2e-8, pattern: 0.261, prompts: 1, strTokens: IOI_TOKENS },
    },
    logit_lens: {
      ...base,
      command: 'logit-lens',
      spec: { op: 'logit-lens', prompt: IOI_PROMPT, tokens: [' Mary', ' John'] },
      result: {
        mode: 'own-scale',
        pos: -1,
        strTokens: IOI_TOKENS,
        layers: ['embed', '0', '1', '2'].map((label, l) => ({
          label: l === 0 ? label : `resid_post ${label}`,
          top: lensTop(l),
          tracked: { ' Mary': { rank: Math.max(0, 3 - l), prob: 0.1 + 0.1 * l }, ' John': { rank: l, prob: 0.3 - 0.05 * l } },
        })),
      },
    },
    ablate: {
      ...base,
      command: 'ablate',
      spec: { op: 'ablate', heads: ['0.0'], prompt: IOI_PROMPT, mode: 'zero' },
      result: {
        heads: ['0.0'],
        mode: 'zero',
        lossClean: 5.1,
        lossAblated: 5.4,
        perToken,
        topTokens: top.map((p) => ({ pos: p.pos, token: p.token, next: p.next, delta: p.delta, context: IOI_TOKENS.slice(Math.max(0, p.pos - 4), p.pos + 1).join('') })),
      },
    },
    test_prompt: {
      ...base,
      command: 'test-prompt',
      spec: { op: 'test-prompt', prompt: 'It was all about salt and', answer: ' pepper' },
      result: {
        strTokens: ['<|endoftext|>', 'It', ' was', ' all', ' about', ' salt', ' and'],
        answer: { token: ' pepper', id: 13385, rank: 0, logit: 14.2, prob: 0.94 },
        top: [' pepper', ' the', ' sugar', ' a', ' water'].map((token, k) => ({ token, id: k, logit: 14.2 - 3 * k, prob: [0.94, 0.02, 0.01, 0.005, 0.004][k] })),
      },
    },
  };
}

/** A test-prompt run whose prompt, answer and top tokens are an HTML injection attempt. */
export function xssRun(): SavedRun<'test-prompt'> {
  return {
    ...base,
    command: 'test-prompt',
    spec: { op: 'test-prompt', prompt: XSS, answer: XSS },
    result: {
      strTokens: ['<|endoftext|>', XSS],
      answer: { token: XSS, rank: 0, logit: 1, prob: 0.5 },
      top: [{ token: XSS, id: 1, logit: 1, prob: 0.5 }],
    },
  };
}

/** Causal softmax patterns; L0H0 is a previous-token head as in the demo model. */
export function sampleAttention(strTokens: string[] = IOI_TOKENS): AttentionResult {
  const r = rng(11);
  const n = strTokens.length;
  const values: number[] = [];
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) for (let q = 0; q < n; q++) {
    const logits = Array.from({ length: n }, (_, k) => (k > q ? -Infinity : l === 0 && h === 0 ? (k === q - 1 ? 4 : 0) : k === 0 ? 1.5 : 2 * r()));
    const mx = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - mx));
    const s = e.reduce((a, b) => a + b, 0);
    values.push(...e.map((x) => x / s));
  }
  return { strTokens, layers: [0, 1, 2], heads: [0, 1, 2, 3], dims: [L, H, n, n], values };
}

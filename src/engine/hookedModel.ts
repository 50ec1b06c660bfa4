/**
 * HookedModel: the runnable model. One ONNX session per block, built once at load with the
 * weights as initializers, and one for the full unembedding, built the first time full
 * logits are asked for (sweeps finishing early with 'columns' never need it); the embedding
 * runs in TypeScript (graph/embed.ts). `run` chains them, feeding each block its patches
 * and fetching only the hooks asked for.
 *
 * Batching is the point: a sweep of S patch sites over P prompts is one run of S·P rows,
 * each row reading its patch values from `value[source[b]]`. A run can start late (at a
 * block, from a cached resid_pre), reuse a base run's leading positions (`prefix`: only
 * positions ≥ P0 are computed, attending to the cached keys/values before them) and
 * finish early (ln_final and a few unembedding columns at one position per row).
 */
import { UserError } from './errors';
import { buildBlockGraph, blockHookSuffixes, hookRank, BLOCK_PAST_K_INPUT, BLOCK_PAST_V_INPUT, BLOCK_RESID_INPUT } from './graph/block';
import { embedTokens } from './graph/embed';
import { patchFeedNames } from './graph/patch';
import { allHookNames, blockHook, parseHookName, type HookName } from './hooks';
import { buildGemmTransBGraph, GEMM_A, GEMM_B, GEMM_Y } from './graph/gemm';
import { createSession, ORT_VERSION, type Feed, type Session } from './runtime';
import type { Tensor } from './tensor';
import type { Model, Patch, RunPrefix, RunRequest, RunResult, TokenizerLike } from './types';
import { applyPatchInPlace, buildUnembedGraph, columnLogits, lnFinalRows, lnFinalScale, UNEMBED_INPUT, UNEMBED_OUTPUT } from './unembed';
import type { CanonicalWeights, ModelConfig } from './weights';

export interface HookedModelOptions {
  id: string;
  source: string;
  revision?: string;
  device?: string;
  onProgress?: (message: string, fraction: number) => void;
  /** Checked between stages; sessions already made are released. */
  signal?: AbortSignal;
}

/** Where a hook lives: the embedding (in TypeScript), block L's graph, or ln_final (in TypeScript). */
type Stage = 'embed' | number | 'final';

function abortError(): Error {
  const e = new Error('the run was cancelled');
  e.name = 'AbortError';
  return e;
}

export class HookedModel implements Model {
  readonly cfg: ModelConfig;
  private readonly hookSet: Set<string>;
  /** Zero masks/values of shape [1,…,1] per rank and a [0] source: "no patch here". */
  private readonly idle = new Map<number, { mask: Tensor; value: Tensor }>();
  private readonly idleSource: Feed = { dims: [1], int64: new BigInt64Array(1) };
  readonly runtime = ORT_VERSION;
  revision?: string;
  /** The full-logits session, once asked for (see `unembedSession`). */
  private unembed: Promise<Session> | null = null;
  /** The A·Bᵀ session of `matmulTransposed`, made on first use. */
  private gemm: Promise<Session> | null = null;
  private disposed = false;

  private constructor(
    readonly weights: CanonicalWeights,
    readonly tokenizer: TokenizerLike,
    readonly id: string,
    readonly source: string,
    readonly device: string,
    private readonly blocks: Session[],
  ) {
    this.cfg = weights.cfg;
    this.hookSet = new Set(allHookNames(this.cfg.nLayers, this.cfg.parallelAttnMlp, this.cfg.positional === 'rotary'));
    for (const rank of [3, 4]) {
      const ones = new Array<number>(rank).fill(1);
      this.idle.set(rank, { mask: { dims: ones, data: new Float32Array(1) }, value: { dims: ones, data: new Float32Array(1) } });
    }
  }

  /** Builds every block's graph and session; the first session settles the device for the rest. */
  static async create(weights: CanonicalWeights, tokenizer: TokenizerLike, opts: HookedModelOptions): Promise<HookedModel> {
    const cfg = weights.cfg;
    const total = cfg.nLayers;
    const progress = (i: number, what: string) => opts.onProgress?.(`building ${what}`, i / total);
    const made: Session[] = [];
    const make = async (i: number, what: string, build: () => Uint8Array, device: string) => {
      try {
        if (opts.signal?.aborted) throw abortError();
        progress(i, what);
        const s = await createSession(build(), device);
        made.push(s);
        return s;
      } catch (e) {
        for (const s of made) await s.release();
        throw e;
      }
    };
    const blocks: Session[] = [await make(0, 'block 0', () => buildBlockGraph(cfg, weights.blocks[0], 0), opts.device ?? 'auto')];
    const device = blocks[0].device;
    for (let l = 1; l < cfg.nLayers; l++) blocks.push(await make(l, `block ${l}`, () => buildBlockGraph(cfg, weights.blocks[l], l), device));
    opts.onProgress?.(`ready on ${device}`, 1);
    const model = new HookedModel(weights, tokenizer, opts.id, opts.source, device, blocks);
    model.revision = opts.revision;
    return model;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const unembed = this.unembed;
    const gemm = this.gemm;
    this.unembed = null;
    this.gemm = null;
    for (const s of this.blocks) await s.release();
    if (unembed) await unembed.then((s) => s.release(), () => {});
    if (gemm) await gemm.then((s) => s.release(), () => {});
  }

  async matmulTransposed(a: Tensor, b: Tensor): Promise<Tensor> {
    if (this.disposed) throw new Error('the model was unloaded');
    if (a.dims.length !== 2 || b.dims.length !== 2 || a.dims[1] !== b.dims[1]) {
      throw new Error(`matmulTransposed: A [${a.dims}] and B [${b.dims}] should be [M, K] and [N, K]`);
    }
    if (!this.gemm) {
      const made = createSession(buildGemmTransBGraph(), this.device);
      this.gemm = made;
      made.catch(() => {
        if (this.gemm === made) this.gemm = null;
      });
    }
    const out = await (await this.gemm).run({ [GEMM_A]: a, [GEMM_B]: b }, [GEMM_Y]);
    return out[GEMM_Y];
  }

  /**
   * The [d_model, d_vocab] unembedding session, made on first use: 2 s and 300 MB on
   * gpt2-small (W_U and ORT's packed copy of it) that a sweep finishing with 'columns'
   * never needs. Concurrent callers share one creation; a failed one is retried next time.
   */
  private unembedSession(): Promise<Session> {
    if (this.disposed) return Promise.reject(new Error('the model was unloaded'));
    if (!this.unembed) {
      const made = createSession(buildUnembedGraph(this.weights), this.device);
      this.unembed = made;
      made.catch(() => {
        if (this.unembed === made) this.unembed = null;
      });
    }
    return this.unembed;
  }

  private stageOf(name: string, what: string): { stage: Stage; suffix: string } {
    if (!this.hookSet.has(name)) {
      try {
        parseHookName(name, this.cfg.nLayers, this.cfg.parallelAttnMlp);
      } catch (e) {
        throw new UserError(`${what}: ${(e as Error).message}`);
      }
      throw new UserError(`${what}: unknown hook "${name}": this model has no such hook`);
    }
    if (name === 'ln_final.hook_scale') return { stage: 'final', suffix: name };
    if (name === 'hook_embed' || name === 'hook_pos_embed') return { stage: 'embed', suffix: name };
    const { layer, suffix } = parseHookName(name, this.cfg.nLayers, this.cfg.parallelAttnMlp);
    return { stage: layer as number, suffix };
  }

  /** Shape of a hook's activation for a batch of B rows computing T positions (of Tk keys: T plus a reused prefix). */
  private hookDims(suffix: string, B: number, T: number, Tk = T): number[] {
    const { dModel: d, nHeads: H, dHead: dh, dMlp: dm } = this.cfg;
    if (suffix.endsWith('hook_scale')) return [B, T, 1];
    if (suffix === 'attn.hook_attn_scores' || suffix === 'attn.hook_pattern') return [B, H, T, Tk];
    if (suffix.startsWith('attn.')) return [B, T, H, dh];
    if (suffix.startsWith('mlp.')) return [B, T, dm];
    return [B, T, d];
  }

  private checkPatch(p: Patch, dims: number[]): void {
    const bad = (msg: string) => new UserError(`patch on ${p.hook}: ${msg}`);
    const fits = (t: readonly number[], from: number) => t.length === dims.length && t.every((n, i) => i < from || n === 1 || n === dims[i]);
    if (!fits(p.mask.dims, 0)) throw bad(`mask dims [${p.mask.dims}] do not broadcast to the hook's [${dims}] (each dim must be 1 or full)`);
    if (!fits(p.value.dims, 1)) throw bad(`value dims [${p.value.dims}] must be [S, …] with the hook's dims [${dims.slice(1)}] (or 1)`);
    if (p.source.length !== dims[0] && p.source.length !== 1) throw bad(`source has ${p.source.length} rows, the batch has ${dims[0]}`);
    const S = p.value.dims[0];
    for (const s of p.source) if (!(s >= 0 && s < S)) throw bad(`source row ${s} is outside value's ${S} rows`);
  }

  private patchFeeds(hook: string, rank: number, patch: Patch | undefined): Record<string, Feed> {
    const f = patchFeedNames(hook);
    if (!patch) {
      const idle = this.idle.get(rank)!;
      return { [f.mask]: idle.mask, [f.value]: idle.value, [f.source]: this.idleSource };
    }
    return { [f.mask]: patch.mask, [f.value]: patch.value, [f.source]: { dims: [patch.source.length], int64: patch.source } };
  }

  private validateTokens(tokens: RunRequest['tokens']): { B: number; T: number } {
    const B = tokens.length;
    if (B === 0) throw new UserError('run: no token rows given');
    const T = tokens[0].length;
    if (T === 0) throw new UserError('run: the prompt has no tokens');
    if (T > this.cfg.nCtx) throw new UserError(`run: the prompt is ${T} tokens long, more than the model's n_ctx ${this.cfg.nCtx}`);
    const V = this.cfg.dVocab;
    tokens.forEach((row, b) => {
      if (row.length !== T) throw new UserError(`run: batch row ${b} has ${row.length} tokens, row 0 has ${T}; all rows must be the same length`);
      for (const t of row) if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new UserError(`run: token id ${t} (row ${b}) is outside the vocabulary 0..${V - 1}`);
    });
    return { B, T };
  }

  /** Checks a prefix against the batch; returns P0 (0 without one). */
  private checkPrefix(prefix: RunPrefix | undefined, B: number, T: number, start: number): number {
    if (!prefix) return 0;
    const P0 = prefix.length;
    const bad = (msg: string) => new UserError(`run prefix: ${msg}`);
    if (!(Number.isInteger(P0) && P0 >= 0 && P0 < T)) throw bad(`length ${P0} must be a position 0..${T - 1} of the ${T}-token prompt`);
    if (prefix.rows.length !== B) throw bad(`rows has ${prefix.rows.length} entries, the batch has ${B}`);
    if (P0 === 0) return 0;
    const { nHeads: H, dHead: dh } = this.cfg;
    for (let l = start; l < this.cfg.nLayers; l++) {
      for (const s of ['attn.hook_k', 'attn.hook_v'] as const) {
        const t = prefix.cache.get(blockHook(l, s));
        if (!t) throw bad(`the cache lacks ${blockHook(l, s)}`);
        if (t.dims.length !== 4 || t.dims[1] < P0 || t.dims[2] !== H || t.dims[3] !== dh) throw bad(`${blockHook(l, s)} dims [${t.dims}] should be [rows, ≥${P0}, ${H}, ${dh}]`);
        for (const r of prefix.rows) if (!(r >= 0 && r < t.dims[0])) throw bad(`row ${r} is outside ${blockHook(l, s)}'s ${t.dims[0]} rows`);
      }
    }
    return P0;
  }

  /** Keys or values of positions < P0 for layer l, [B, P0, H, dh], gathered from the base rows. */
  private pastFeed(prefix: RunPrefix | undefined, P0: number, l: number, suffix: 'attn.hook_k' | 'attn.hook_v', B: number): Tensor {
    const { nHeads: H, dHead: dh } = this.cfg;
    const out = new Float32Array(B * P0 * H * dh);
    if (P0 > 0) {
      const src = prefix!.cache.get(blockHook(l, suffix))!;
      const rowSize = src.dims[1] * H * dh;
      const n = P0 * H * dh;
      prefix!.rows.forEach((r, b) => out.set(src.data.subarray(r * rowSize, r * rowSize + n), b * n));
    }
    return { dims: [B, P0, H, dh], data: out };
  }

  async run(req: RunRequest): Promise<RunResult> {
    const cfg = this.cfg;
    const { B, T } = this.validateTokens(req.tokens);
    const start = req.startLayer ?? 0;
    if (!(Number.isInteger(start) && start >= 0 && start < cfg.nLayers)) throw new UserError(`run: startLayer ${start} is not a layer 0..${cfg.nLayers - 1}`);
    const P0 = this.checkPrefix(req.prefix, B, T, start);
    // Positions the blocks compute: all of them, or those from P0 on in a prefix run.
    const Tq = T - P0;
    if (start > 0) {
      const sr = req.startResid;
      if (!sr) throw new UserError(`run: startLayer ${start} needs startResid (blocks.${start}.hook_resid_pre)`);
      if (sr.dims.length !== 3 || sr.dims[0] !== B || sr.dims[1] !== Tq || sr.dims[2] !== cfg.dModel) {
        throw new UserError(`run: startResid dims [${sr.dims}] should be [${B},${Tq},${cfg.dModel}]${P0 ? ` (positions ${P0}.. of a prefix run)` : ''}`);
      }
    }
    const stageIndex = (s: Stage) => (s === 'embed' ? -1 : s === 'final' ? cfg.nLayers : s);

    const patches = new Map<string, Patch>();
    for (const p of req.patches ?? []) {
      const { stage, suffix } = this.stageOf(p.hook, 'patch');
      if (start > 0 && stageIndex(stage) < start) throw new UserError(`patch on ${p.hook}: the run starts at layer ${start}, after this hook`);
      if (patches.has(p.hook)) throw new UserError(`patch on ${p.hook}: the hook is patched twice in one run; merge the masks`);
      this.checkPatch(p, stage === 'embed' ? this.hookDims(suffix, B, T) : this.hookDims(suffix, B, Tq, T));
      patches.set(p.hook, p);
    }
    const wanted = new Map<Stage, string[]>();
    for (const h of new Set(req.cache ?? [])) {
      const { stage } = this.stageOf(h, 'cache');
      if (start > 0 && stageIndex(stage) < start) throw new UserError(`cache ${h}: the run starts at layer ${start}, after this hook`);
      wanted.set(stage, [...(wanted.get(stage) ?? []), h]);
    }
    const cache = new Map<HookName, Tensor>();
    const checkAbort = () => {
      if (req.signal?.aborted) throw abortError();
    };

    let resid: Tensor;
    if (start === 0) {
      checkAbort();
      const out = embedTokens(this.weights, req.tokens, { embed: patches.get('hook_embed'), posEmbed: patches.get('hook_pos_embed') });
      for (const h of wanted.get('embed') ?? []) cache.set(h as HookName, h === 'hook_embed' ? out.hook_embed : out.hook_pos_embed!);
      resid = P0 > 0 ? lastPositions(out.resid, P0) : out.resid;
    } else {
      resid = req.startResid!;
    }

    for (let l = start; l < cfg.nLayers; l++) {
      checkAbort();
      const feeds: Record<string, Feed> = {
        [BLOCK_RESID_INPUT]: resid,
        [BLOCK_PAST_K_INPUT]: this.pastFeed(req.prefix, P0, l, 'attn.hook_k', B),
        [BLOCK_PAST_V_INPUT]: this.pastFeed(req.prefix, P0, l, 'attn.hook_v', B),
      };
      for (const s of blockHookSuffixes(cfg)) {
        const h = blockHook(l, s);
        Object.assign(feeds, this.patchFeeds(h, hookRank(s), patches.get(h)));
      }
      const post = blockHook(l, 'hook_resid_post');
      const want = wanted.get(l) ?? [];
      const out = await this.blocks[l].run(feeds, [...new Set([post, ...want])]);
      for (const h of want) cache.set(h as HookName, out[h]);
      resid = out[post];
    }
    checkAbort();
    return { cache, logits: await this.finish(req, resid, B, T, P0, patches, wanted, cache) };
  }

  /** ln_final and the requested output; `resid` holds positions P0..T-1. */
  private async finish(req: RunRequest, resid: Tensor, B: number, T: number, P0: number, patches: Map<string, Patch>, wanted: Map<Stage, string[]>, cache: Map<HookName, Tensor>): Promise<Tensor | undefined> {
    const cfg = this.cfg;
    const output = req.output ?? { kind: 'logits' as const };
    const scalePatch = patches.get('ln_final.hook_scale');
    let scale: Tensor | undefined;
    if (scalePatch || wanted.has('final')) {
      scale = lnFinalScale(resid, cfg.eps);
      if (scalePatch) applyPatchInPlace(scale, scalePatch);
      if (wanted.has('final')) cache.set('ln_final.hook_scale', scale);
    }
    if (output.kind === 'none') return undefined;
    // Absolute position → index into the computed positions.
    const pos = (p: number, what: string) => {
      const q = p < 0 ? p + T : p;
      if (!(Number.isInteger(q) && q >= 0 && q < T)) throw new UserError(`${what}: position ${p} is outside the prompt's ${T} positions`);
      if (q < P0) throw new UserError(`${what}: position ${p} is before the reused prefix (${P0} positions), which this run does not compute`);
      return q - P0;
    };
    if (output.kind === 'columns') {
      if (output.positions.length !== B || output.tokens.length !== B) {
        throw new UserError(`output columns: give one position and one token list per batch row (${B} rows)`);
      }
      const rows = Int32Array.from({ length: B }, (_, b) => b);
      const ps = Int32Array.from(output.positions, (p) => pos(p, 'output columns'));
      return columnLogits(lnFinalRows(resid, rows, ps, this.weights.lnFinal, cfg.eps, scale), this.weights, output.tokens);
    }
    const positions = (output.positions ?? Array.from({ length: T - P0 }, (_, i) => P0 + i)).map((p) => pos(p, 'output logits'));
    const P = positions.length;
    const rows = new Int32Array(B * P);
    const ps = new Int32Array(B * P);
    for (let b = 0; b < B; b++) for (let i = 0; i < P; i++) (rows[b * P + i] = b), (ps[b * P + i] = positions[i]);
    const x = lnFinalRows(resid, rows, ps, this.weights.lnFinal, cfg.eps, scale);
    const unembed = await this.unembedSession();
    const out = await unembed.run({ [UNEMBED_INPUT]: { dims: [B * P, cfg.dModel], data: x } }, [UNEMBED_OUTPUT]);
    return { dims: [B, P, cfg.dVocab], data: out[UNEMBED_OUTPUT].data };
  }
}

/** Positions P0.. of a [B, T, d] tensor → [B, T − P0, d]. */
function lastPositions(t: Tensor, P0: number): Tensor {
  const [B, T, d] = t.dims;
  const n = (T - P0) * d;
  const out = new Float32Array(B * n);
  for (let b = 0; b < B; b++) out.set(t.data.subarray((b * T + P0) * d, (b + 1) * T * d), b * n);
  return { dims: [B, T - P0, d], data: out };
}

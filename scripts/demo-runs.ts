/**
 * Real saved runs of every panel kind on the bundled demo model, for the documentation's
 * screenshots (scripts/preview-panels.ts --demo) — so docs/img shows real numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOp } from '../src/analysis/ops';
import { loadModel } from '../src/engine/load';
import { packageRoot } from '../src/engine/paths';
import type { OpRequest, SavedRun } from '../src/protocol/ops';
import type { AttentionResult } from '../src/protocol/results';

export async function demoRuns(): Promise<{ runs: Record<string, SavedRun>; attention: AttentionResult; prompt: string }> {
  const model = await loadModel({ device: 'cpu' });
  const spec = JSON.parse(readFileSync(join(packageRoot(), 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json'), 'utf8'));
  const prompt = spec.prompts[0].clean as string;
  const requests: Record<string, OpRequest> = {
    resid_pre: { op: 'patch', spec, kind: 'resid_pre' },
    head_out: { op: 'patch', spec, kind: 'attn_head_out_all_pos' },
    attribution: { op: 'patch', spec, kind: 'attn_head_out_all_pos', method: 'attribution' },
    block_every: { op: 'patch', spec, kind: 'block_every' },
    head_every: { op: 'patch', spec, kind: 'attn_head_all_pos_every' },
    head_by_pos: { op: 'patch', spec, kind: 'attn_head_out_by_pos' },
    path_patch: { op: 'path-patch', spec, receivers: ['2.1'], receiverInput: 'q' },
    dla: { op: 'dla', spec },
    score: { op: 'score-attribution', spec, head: '2.2', side: 'key' },
    logit_lens: { op: 'logit-lens', prompt, tokens: [' Mary', ' John'] },
    heads: { op: 'heads' },
    ablate: { op: 'ablate', heads: ['0.0'], prompt: 'It was all about salt and pepper. When John and Mary went to the shops, John gave the bag to Mary.' },
    test_prompt: { op: 'test-prompt', prompt: 'It was all about salt and', answer: ' pepper' },
  };
  const runs: Record<string, SavedRun> = {};
  try {
    for (const [name, req] of Object.entries(requests)) {
      const t0 = performance.now();
      const result = await runOp(model, req, { cwd: packageRoot() });
      runs[name] = {
        version: 1,
        model: { id: model.id, processing: { foldLn: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true } },
        spec: req,
        command: req.op,
        result,
        seconds: (performance.now() - t0) / 1000,
        engine: { device: model.device, onnxruntime: model.runtime },
      } as SavedRun;
    }
    const attention = (await runOp(model, { op: 'attention', prompt }, {})) as AttentionResult;
    return { runs, attention, prompt };
  } finally {
    await model.dispose();
  }
}

/**
 * The CLI against CONTRACTS §1, in-process through main(): every command with --json
 * prints one parseable document with the contract's fields; bad input exits 2 with one
 * `error:` line; and one real spawn of the bundled dist/cli.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/main';

const ROOT = join(__dirname, '..', '..');
const SPEC = join(ROOT, 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  // CPU: 'auto' would first probe GPU providers this machine does not have.
  const loadsModel = !['models', 'frobnicate'].includes(argv[0]);
  const code = await main(loadsModel ? [...argv, '--device', 'cpu'] : argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: ROOT, reuseModels: true });
  return { code, out, err };
}

async function json(...argv: string[]): Promise<Record<string, unknown>> {
  const r = await cli(...argv, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Record<string, unknown>;
}

const keys = (o: unknown): string[] => Object.keys(o as object);
function hasFields(o: Record<string, unknown>, fields: string[]): void {
  for (const f of fields) assert.ok(f in o, `missing field ${f} in ${keys(o).join(',')}`);
}

test('every command prints the contract fields with --json', async () => {
  const tok = await json('tokenize', '--text', 'Hello world');
  assert.deepEqual(tok.strTokens, ['<|endoftext|>', 'Hello', ' world']);
  assert.equal((tok.tokens as number[])[0], 50256);
  assert.deepEqual((await json('tokenize', '--text', 'Hello', '--no-bos')).strTokens, ['Hello']);

  const tp = await json('test-prompt', '--prompt', 'It was all about salt and', '--answer', ' pepper', '--top-k', '3');
  hasFields(tp, ['strTokens', 'answer', 'top']);
  hasFields(tp.answer as Record<string, unknown>, ['token', 'rank', 'logit', 'prob']);
  assert.equal((tp.top as unknown[]).length, 3);
  assert.equal((tp.answer as { rank: number }).rank, 0);

  const run = await json('run', '--prompt', 'It was all', '--hooks', 'blocks.0.attn.hook_attn_scores,blocks.1.hook_resid_post');
  hasFields(run, ['strTokens', 'top', 'cache']);
  const scores = (run.cache as Record<string, { dims: number[]; data: (number | null)[] }>)['blocks.0.attn.hook_attn_scores'];
  assert.deepEqual(scores.dims, [1, 4, 4, 4]);
  assert.equal(scores.data[1], null); // query 0 cannot see key 1: −inf, written as null

  const patch = await json('patch', '--spec', SPEC, '--kind', 'attn_head_out_all_pos');
  hasFields(patch, ['kind', 'dims', 'labels', 'values', 'clean', 'corrupted', 'seconds']);
  assert.deepEqual(patch.dims, [3, 4]);

  const ap = await json('patch', '--spec', SPEC, '--kind', 'attn_head_out_all_pos', '--method', 'attribution');
  assert.equal(ap.method, 'attribution');
  assert.deepEqual(ap.dims, [3, 4]);

  const pp = await json('path-patch', '--spec', SPEC, '--receivers', '2.0', '--receiver-input', 'q');
  hasFields(pp, ['dims', 'values', 'seconds']);

  const dla = await json('dla', '--spec', SPEC);
  hasFields(dla, ['layers', 'heads', 'total', 'actual']);
  assert.ok(Math.abs((dla.total as number) - (dla.actual as number)) < 1e-4);

  const sa = await json('score-attribution', '--head', '2.1', '--spec', SPEC);
  hasFields(sa, ['layer', 'head', 'side', 'components', 'embed', 'posEmbed', 'attnBias', 'otherBias', 'total', 'actual', 'pattern']);
  const saPieces = (sa.components as { values: number[] }).values.reduce((a, b) => a + b, 0) + (sa.embed as number) + (sa.posEmbed as number) + (sa.attnBias as number) + (sa.otherBias as number);
  assert.ok(Math.abs(saPieces - (sa.actual as number)) < 1e-4, `Σ pieces ${saPieces} vs the score ${sa.actual}`);
  assert.equal((sa.strTokens as string[])[sa.keyPos as number], ' Mary');

  const lens = await json('logit-lens', '--prompt', 'It was all about salt and', '--tokens', ' pepper, chips');
  const layers = lens.layers as { label: string; top: unknown[]; tracked: Record<string, unknown> }[];
  assert.equal(layers.length, 4);
  assert.deepEqual(keys(layers[3].tracked), [' pepper', ' chips']);

  const abl = await json('ablate', '--heads', '0.0', '--prompt', 'It was all about salt and pepper', '--mode', 'mean');
  hasFields(abl, ['lossClean', 'lossAblated', 'perToken', 'topTokens']);

  const heads = await json('heads', '--detect', 'induction,previous,duplicate');
  assert.deepEqual(heads.dims, [3, 4]);
  assert.deepEqual(keys(heads.scores), ['induction', 'previous', 'duplicate']);

  const att = await json('attention', '--prompt', 'a b c', '--layers', '0', '--heads', '0,1');
  assert.deepEqual(att.dims, [1, 2, 4, 4]);

  const models = await json('models');
  assert.ok((models.bundled as { id: string }[]).some((m) => m.id === 'circuit-demo-gpt2-3l'));

  const bench = await json('bench', '--model', 'circuit-demo-gpt2-3l', '--sweep', 'resid_pre', '--prompts', '2', '--tokens', '6');
  hasFields(bench, ['machine', 'model', 'prompts', 'tokens', 'sweeps', 'forward', 'rssMB']);
});

test('human output is a readable table', async () => {
  const r = await cli('heads', '--detect', 'previous');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^previous\nlayer\s+H0\s+H1\s+H2\s+H3\n/);
  assert.match(r.out, /\nL0\s+0\.2\d/);
});

test('bad input exits 2 with one error line', async () => {
  const cases: [string[], RegExp][] = [
    [['dla', '--spec', 'no/such/spec.json'], /cannot read prompt set no\/such\/spec\.json/],
    [['test-prompt', '--prompt', 'Hi', '--answer', ' Johnsonville'], /answer " Johnsonville" is \d tokens/],
    [['run', '--prompt', 'Hi', '--hooks', 'blocks.0.attn.hook_zz'], /unknown hook "blocks\.0\.attn\.hook_zz"/],
    [['test-prompt', '--model', 'no/such/folder', '--prompt', 'Hi', '--answer', ' x'], /no\/such\/folder/],
    [['patch', '--spec', SPEC, '--kind', 'resid_pree'], /unknown patch kind "resid_pree"/],
    [['heads', '--bogus'], /unknown option --bogus/],
    [['ablate', '--heads', '9.9', '--prompt', 'Hi there'], /head "9\.9" does not exist/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['score-attribution', '--head', '1.0', '--prompt', 'It was all about salt and', '--key', ' Mary'], /token " Mary" does not occur in the prompt/],
    [['score-attribution', '--head', '1.0', '--spec', SPEC, '--side', 'both'], /--side must be key or query/],
    [['score-attribution', '--head', '1.0'], /give either --spec or --prompt/],
    [['patch', '--spec', SPEC, '--kind', 'resid_pre', '--method', 'gradient'], /--method must be activation or attribution/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv, '--json');
    assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code}, stderr ${r.err}`);
    assert.equal(r.out, '', `${argv.join(' ')} printed on stdout`);
    const lines = r.err.trimEnd().split('\n').filter((l) => l.startsWith('error:'));
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], message);
  }
});

test('the bundled dist/cli.js runs test-prompt as a real process', () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  const r = spawnSync(process.execPath, ['dist/cli.js', 'test-prompt', '--prompt', 'It was all about salt and', '--answer', ' pepper', '--json', '--device', 'cpu'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { answer: { token: string; prob: number } };
  assert.equal(out.answer.token, ' pepper');
  assert.ok(out.answer.prob > 0.5);
  const bad = spawnSync(process.execPath, ['dist/cli.js', 'nope'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: unknown command "nope"\nusage: /);
});

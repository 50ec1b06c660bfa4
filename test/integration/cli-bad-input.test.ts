/**
 * A careless user at the CLI (CONTRACTS §1): every bad input exits 2 with exactly one
 * `error:` line naming what was wrong, no stack trace, and nothing on stdout under --json.
 * Runs in-process through main() against the demo model and a tiny checkpoint corrupted
 * in a temporary folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';

const ROOT = join(__dirname, '..', '..');
const SPEC = join(ROOT, 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json');
const LONG = ' the'.repeat(300);

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  // CPU: 'auto' would first probe GPU providers this machine does not have.
  const device = argv[0] === 'models' || argv.includes('--device') ? [] : ['--device', 'cpu'];
  const code = await main([...argv, ...device, '--json'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: ROOT, reuseModels: true });
  return { code, out, err };
}

async function expectBad(argv: string[], message: RegExp): Promise<void> {
  const what = argv.map((a) => (a.length > 40 ? `<${a.length} chars>` : JSON.stringify(a))).join(' ');
  const r = await cli(argv);
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.err}`);
  assert.equal(r.out, '', `${what} printed on stdout under --json`);
  const lines = r.err.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, `${what}: ${r.err}`);
  assert.match(lines[0], message, what);
  assert.doesNotMatch(r.err, /\n\s+at /, `${what}: stack trace`);
}

const dir = mkdtempSync(join(tmpdir(), 'cli-bad-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function spec(name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

const IOI = {
  clean: 'When John and Mary went to the shops, John gave the bag to',
  corrupted: 'When John and Mary went to the shops, Mary gave the bag to',
  answer: ' Mary',
  wrong: ' John',
};

test('command lines the parser used to accept and run something else', async () => {
  const cases: [string[], RegExp][] = [
    // Repeated single-valued flag: the first value was silently dropped.
    [['tokenize', '--text', 'a', '--text', 'b'], /tokenize: --text is given twice/],
    [['path-patch', '--spec', SPEC, '--receivers', '2.0', '--receiver-input', 'q', '--receiver-input', 'k'], /--receiver-input is given twice/],
    // A forgotten value swallowed the next option and blamed its value.
    [['tokenize', '--text', '--no-bos'], /tokenize: --text needs a value \(got the option --no-bos\)/],
    // Top-k: 0 printed nothing, negative or huge printed the whole vocabulary, 2.5 was sliced.
    [['test-prompt', '--prompt', 'Hi', '--answer', ' x', '--top-k', '0'], /--top-k must be at least 1, got 0/],
    [['logit-lens', '--prompt', 'Hi there', '--top-k', '-1'], /--top-k must be at least 1, got -1/],
    [['ablate', '--heads', '0.0', '--prompt', 'Hi there', '--top-k', '2.5'], /--top-k must be a whole number, got "2\.5"/],
    [['ablate', '--heads', '0.0', '--prompt', 'Hi there', '--mode', 'resample', '--seed', '1.5'], /--seed must be a whole number/],
    // An empty list ablated nothing (or ran every detector).
    [['ablate', '--heads', ',', '--prompt', 'Hi there'], /ablate: --heads needs at least one value, got ","/],
    [['heads', '--detect', ','], /heads: --detect needs at least one value/],
    [['attention', '--prompt', 'Hi', '--layers', ''], /attention: --layers needs at least one value/],
    // An empty --model loaded the working directory.
    [['test-prompt', '--model', '', '--prompt', 'Hi', '--answer', ' x'], /test-prompt: --model is empty/],
    // A multi-token tracked token was called an "answer" with advice for prompt-set files.
    [['logit-lens', '--prompt', 'Hi there', '--tokens', ' Johnsonville'], /tracked token " Johnsonville" is 2 tokens \["·Johnson", "ville"\]; give a single token$/],
    // Bench: 0 prompts failed after generating a 13 s checkpoint; 0 tokens and 1.5 prompts ran.
    [['bench', '--prompts', '0'], /bench: --prompts must be at least 1, got 0/],
    [['bench', '--prompts', '1.5', '--model', 'circuit-demo-gpt2-3l'], /--prompts must be a whole number/],
    [['bench', '--tokens', '3', '--model', 'circuit-demo-gpt2-3l'], /bench: tokens must be a whole number of at least 6/],
    [['bench', '--tokens', '1000', '--model', 'circuit-demo-gpt2-3l'], /bench: tokens 1000 is more than circuit-demo-gpt2-3l's context of 256/],
    // An empty spec file was "invalid JSON: Unexpected end of JSON input".
    [['dla', '--spec', spec('empty.json', ' \n')], /empty\.json: the file is empty/],
    [['dla', '--spec', spec('notjson.json', '{\n  prompts: [')], /notjson\.json: invalid JSON at line 2 column 3/],
  ];
  for (const [argv, message] of cases) await expectBad(argv, message);
});

test('a prompt set saved with a byte-order mark loads', async () => {
  const r = await cli(['dla', '--spec', spec('bom.json', `\ufeff${JSON.stringify({ prompts: [IOI] })}`)]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { total: number; actual: number };
  assert.ok(Math.abs(out.total - out.actual) < 1e-4);
});

test('flags and values that are valid stay valid', async () => {
  // A value that only looks like an option, an empty prompt with BOS, a token with a comma-separated space.
  const tok = await cli(['tokenize', '--text', '--']);
  assert.equal(tok.code, 0, tok.err);
  assert.deepEqual((JSON.parse(tok.out) as { strTokens: string[] }).strTokens, ['<|endoftext|>', '--']);
  const empty = await cli(['test-prompt', '--prompt', '', '--answer', ' x', '--top-k', '1']);
  assert.equal(empty.code, 0, empty.err);
  const lens = await cli(['logit-lens', '--prompt', 'Hi there', '--tokens', ' x, y', '--pos', '-3']);
  assert.equal(lens.code, 0, lens.err);
  assert.deepEqual(Object.keys((JSON.parse(lens.out) as { layers: { tracked: object }[] }).layers[0].tracked), [' x', ' y']);
});

test('a representative table of bad input that was already handled', async () => {
  const P = (o: object) => ({ prompts: [{ ...IOI, ...o }] });
  const cases: [string[], RegExp][] = [
    [['tokenize', '--text', 'a', 'extra'], /unexpected argument "extra"/],
    [['tokenize', '--no-bos=yes', '--text', 'a'], /--no-bos takes no value/],
    [['test-prompt', '--prompt', 'Hi'], /--answer is required/],
    [['test-prompt', '--prompt', 'Hi', '--answer', ''], /answer "" is empty/],
    [['test-prompt', '--prompt', '', '--answer', ' x', '--no-bos'], /the prompt is empty/],
    [['test-prompt', '--prompt', LONG, '--answer', ' x'], /the prompt is 301 tokens, longer than the model's context of 256/],
    [['test-prompt', '--prompt', 'Hi', '--answer', ' x', '--top-k', 'ten'], /--top-k must be a number, got "ten"/],
    [['test-prompt', '--prompt', 'Hi', '--answer', ' x', '--device', 'tpu'], /unknown device 'tpu'/],
    [['run', '--prompt', 'Hi', '--hooks', 'blocks.5.hook_resid_pre'], /unknown hook "blocks\.5\.hook_resid_pre": the model has 3 layers/],
    [['attention', '--prompt', 'Hi', '--heads', '4'], /head 4 does not exist/],
    [['attention', '--prompt', 'Hi', '--layers', '0.5'], /--layers must be integers, got "0\.5"/],
    [['patch', '--spec', SPEC], /--kind is required/],
    [['patch', '--spec', join(dir, 'missing.json'), '--kind', 'resid_pre'], /cannot read prompt set .*missing\.json: ENOENT/],
    [['patch', '--spec', spec('array.json', [IOI]), '--kind', 'resid_pre'], /array\.json: a prompt set must be a JSON object/],
    [['patch', '--spec', spec('obj.json', { prompts: { a: IOI } }), '--kind', 'resid_pre'], /obj\.json: "prompts" must be a non-empty array/],
    [['patch', '--spec', spec('num.json', P({ answer: 5 })), '--kind', 'resid_pre'], /num\.json: prompt 0: "answer" must be a string/],
    [['patch', '--spec', spec('multi.json', P({ answer: ' Johnsonville' })), '--kind', 'resid_pre'], /multi\.json: prompt 0: answer " Johnsonville" is 2 tokens/],
    [['dla', '--spec', spec('same.json', P({ wrong: ' Mary' }))], /same\.json: prompt 0: answer and wrong are the same token/],
    [['patch', '--spec', spec('cc.json', P({ corrupted: 'When Johnathan and Mary went to the shops, Mary gave the bag to' })), '--kind', 'resid_pre'], /cc\.json: prompt 0: clean is 15 tokens but corrupted is 16/],
    [['patch', '--spec', spec('len.json', { prompts: [IOI, { clean: 'A B', corrupted: 'A C', answer: ' x', wrong: ' y' }] }), '--kind', 'resid_pre'], /len\.json: prompt 1 is 3 tokens but prompt 0 is 15/],
    [['patch', '--spec', spec('long.json', P({ clean: LONG, corrupted: LONG })), '--kind', 'resid_pre'], /long\.json: prompt 0 is 301 tokens, longer than the model's context of 256/],
    [['patch', '--spec', spec('nocorr.json', P({ corrupted: undefined })), '--kind', 'resid_pre'], /nocorr\.json: prompt 0 has no "corrupted"/],
    [['patch', '--spec', SPEC, '--kind', 'resid_pre', '--memory-budget', '0'], /--memory-budget must be a positive number/],
    [['path-patch', '--spec', SPEC, '--receivers', '0.0', '--receiver-input', 'q'], /receiver in layer 0 has no sender heads/],
    [['path-patch', '--spec', SPEC, '--receivers', '3.0', '--receiver-input', 'q'], /head "3\.0" does not exist: the model has 3 layers × 4 heads/],
    [['path-patch', '--spec', SPEC, '--receivers', 'a.b', '--receiver-input', 'v'], /head "a\.b" is not layer\.head/],
    [['logit-lens', '--prompt', 'Hi there', '--pos', '3'], /--pos 3 is outside the prompt's 3 tokens/],
    [['logit-lens', '--prompt', 'Hi there', '--pos', '-4'], /--pos -4 is outside/],
    [['ablate', '--heads', '0.9', '--prompt', 'Hi there'], /head "0\.9" does not exist/],
    [['ablate', '--heads', '0.0', '--text-file', join(dir, 'missing.txt')], /cannot read text file .*missing\.txt: ENOENT/],
    [['ablate', '--heads', '0.0', '--text-file', spec('empty.txt', '')], /the text to ablate over is empty/],
    [['ablate', '--heads', '0.0'], /give exactly one of --prompt or --text-file/],
    [['heads', '--detect', 'nonsense'], /unknown head detector "nonsense"/],
    [['heads', '--seq-len', '500'], /sequence length 500 must be a positive integer/],
    [['models', 'extra'], /models: unexpected argument "extra"/],
  ];
  for (const [argv, message] of cases) await expectBad(argv, message);
});

test('a broken checkpoint folder names the file at fault', async () => {
  const good = makeTinyCheckpoint(join(dir, 'tiny'), { arch: 'gpt2' });
  const broken = (name: string, file: string, body: string | ((b: Buffer) => Buffer)) => {
    const d = join(dir, name);
    cpSync(good, d, { recursive: true });
    const path = join(d, file);
    if (typeof body === 'string') writeFileSync(path, body);
    else writeFileSync(path, body(readFileSync(path)));
    return d;
  };
  const config = (edit: (c: Record<string, unknown>) => void) => (b: Buffer) => {
    const c = JSON.parse(b.toString('utf8')) as Record<string, unknown>;
    edit(c);
    return Buffer.from(JSON.stringify(c));
  };
  const cases: [string, RegExp][] = [
    [broken('trunc', 'model.safetensors', (b) => b.subarray(0, b.length >> 1)), /truncated safetensors file .*trunc\/model\.safetensors/],
    [broken('empty-weights', 'model.safetensors', ''), /truncated safetensors file .*empty-weights\/model\.safetensors: 0 bytes/],
    [broken('bad-config', 'config.json', '{"model_type": "gpt2", '), /bad-config\/config\.json is not valid JSON/],
    [broken('llama', 'config.json', config((c) => ((c.model_type = 'llama'), (c.architectures = ['LlamaForCausalLM'])))), /unknown architecture 'llama' in .*llama\/config\.json/],
    [broken('wide', 'config.json', config((c) => (c.n_embd = 64))), /tensor 'wte\.weight' in .*wide\/model\.safetensors has shape \[50257,32\], expected \[50257,64\]/],
    [broken('bad-vocab', 'vocab.json', '{"a":'), /bad-vocab\/vocab\.json: not valid JSON/],
    [join(dir, 'no-such-folder'), /no-such-folder/],
  ];
  for (const [model, message] of cases) await expectBad(['test-prompt', '--model', model, '--prompt', 'Hi', '--answer', ' x'], message);
});

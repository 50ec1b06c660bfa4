// The Workspace Trust rule: in an untrusted workspace no model named by the workspace is
// loaded (only a bundled one); the user's own choices always load. The VS Code harness opens
// a trusted workspace, so the decision is tested here with both inputs.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/engine/errors';
import { BUNDLED_MODELS, DEFAULT_MODEL } from '../../src/engine/paths';
import { checkModelTrust, chooseModel, settingOrigin } from '../../src/extension/trust';

const FOREIGN = ['gpt2', 'EleutherAI/pythia-70m', './models/evil', '/tmp/checkpoint', `${DEFAULT_MODEL}/../../x`];

test('untrusted: a model the workspace names is refused with a one-line error naming it', () => {
  for (const model of FOREIGN) {
    assert.throws(() => checkModelTrust(model, 'workspace', false), (e: unknown) => {
      assert.ok(e instanceof UserError, 'a UserError (exit code 2 in the CLI, one line in VS Code)');
      assert.ok(e.message.includes(`"${model}"`), e.message);
      assert.ok(e.message.includes('untrusted'), e.message);
      assert.equal(e.message.split('\n').length, 1);
      return true;
    });
  }
});

test('untrusted: bundled models and the user\'s own choices load; trusted: everything loads', () => {
  assert.ok(BUNDLED_MODELS.includes(DEFAULT_MODEL));
  for (const model of BUNDLED_MODELS) assert.doesNotThrow(() => checkModelTrust(model, 'workspace', false));
  for (const model of FOREIGN) {
    assert.doesNotThrow(() => checkModelTrust(model, 'user', false));
    assert.doesNotThrow(() => checkModelTrust(model, 'workspace', true));
  }
});

test('a prompt set naming a foreign model in an untrusted workspace gets the bundled demo, with a warning', () => {
  const defaultModel = { model: 'gpt2', origin: 'user' as const };
  const c = chooseModel({ preferred: 'EleutherAI/pythia-70m', defaultModel, trusted: false });
  assert.equal(c.model, DEFAULT_MODEL);
  assert.ok(c.warning?.includes('EleutherAI/pythia-70m'));
  // Whatever is chosen must pass the rule it is then loaded under.
  assert.doesNotThrow(() => checkModelTrust(c.model, c.origin, false));

  const trusted = chooseModel({ preferred: 'EleutherAI/pythia-70m', defaultModel, trusted: true });
  assert.deepEqual([trusted.model, trusted.origin, trusted.warning], ['EleutherAI/pythia-70m', 'workspace', undefined]);
  const bundled = chooseModel({ preferred: DEFAULT_MODEL, defaultModel, trusted: false });
  assert.deepEqual([bundled.model, bundled.warning], [DEFAULT_MODEL, undefined]);
});

test('without a prompt-set model the default model setting is used with its origin, and the rule still applies', () => {
  const fromWorkspace = chooseModel({ defaultModel: { model: 'gpt2', origin: 'workspace' }, trusted: false });
  assert.throws(() => checkModelTrust(fromWorkspace.model, fromWorkspace.origin, false), /"gpt2".*untrusted/);
  const fromUser = chooseModel({ defaultModel: { model: 'gpt2', origin: 'user' }, trusted: false });
  assert.doesNotThrow(() => checkModelTrust(fromUser.model, fromUser.origin, false));
});

test('settingOrigin: a value only the workspace sets is the workspace\'s; the user\'s or the default is the user\'s', () => {
  const defaultValue = DEFAULT_MODEL;
  assert.equal(settingOrigin({ defaultValue, workspaceValue: 'gpt2' }, 'gpt2'), 'workspace');
  assert.equal(settingOrigin({ defaultValue, workspaceFolderValue: './evil' }, './evil'), 'workspace');
  assert.equal(settingOrigin({ defaultValue, globalValue: 'gpt2' }, 'gpt2'), 'user');
  // The user set the same model the workspace asks for: it is the user's choice too.
  assert.equal(settingOrigin({ defaultValue, globalValue: 'gpt2', workspaceValue: 'gpt2' }, 'gpt2'), 'user');
  // VS Code ignored the restricted workspace value (untrusted): the effective one is the user's.
  assert.equal(settingOrigin({ defaultValue, globalValue: 'gpt2', workspaceValue: './evil' }, 'gpt2'), 'user');
  assert.equal(settingOrigin({ defaultValue, workspaceValue: './evil' }, defaultValue), 'user');
  assert.equal(settingOrigin(undefined, 'gpt2'), 'user');
});

/** The bad-input contract in one assertion: a UserError, one line, naming what it must. */
import assert from 'node:assert/strict';
import { UserError } from '../../src/engine/errors';

export async function expectUserError(p: Promise<unknown>, mustMention: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    assert.equal(e.name, 'UserError');
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    for (const m of mustMention) assert.ok(e.message.includes(m), `'${e.message}' should mention '${m}'`);
    return true;
  });
}

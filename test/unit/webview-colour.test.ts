import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rgb } from 'd3-color';
import { colourPosition, divergingColour, maxAbs, sequentialColour, textColourOn } from '../../webview/shared/colour';

test('the diverging scale is symmetric about 0: t(v) + t(-v) = 1, t(0) = 1/2', () => {
  for (const m of [0.5, 1, 3.7]) {
    assert.equal(colourPosition(0, m), 0.5);
    for (const v of [0.01, 0.2, 0.49, 1, 2.5]) {
      const a = colourPosition(v, m);
      const b = colourPosition(-v, m);
      assert.ok(Math.abs(a + b - 1) < 1e-12, `m=${m} v=${v}`);
      assert.ok(a >= 0.5 && a <= 1);
    }
  }
  // Beyond ±m the scale saturates rather than wrapping.
  assert.equal(colourPosition(10, 1), 1);
  assert.equal(colourPosition(-10, 1), 0);
  assert.equal(colourPosition(Number.NaN, 1), 0.5);
});

test('0 is near white, positive is blue and negative is red (as plotly RdBu in the notebooks)', () => {
  const mid = rgb(divergingColour(0, 1));
  assert.ok(mid.r > 230 && mid.g > 230 && mid.b > 230, `centre ${mid}`);
  const pos = rgb(divergingColour(1, 1));
  const neg = rgb(divergingColour(-1, 1));
  assert.ok(pos.b > pos.r + 50, `positive ${pos}`);
  assert.ok(neg.r > neg.b + 50, `negative ${neg}`);
  // Equal magnitude, equal distance from white: compare lightness, mirrored.
  const light = (c: ReturnType<typeof rgb>) => (c.r + c.g + c.b) / 3;
  assert.ok(Math.abs(light(rgb(divergingColour(0.5, 1))) - light(rgb(divergingColour(-0.5, 1)))) < 40);
});

test('maxAbs ignores non-finite values and never returns 0', () => {
  assert.equal(maxAbs([0.3, -0.9, Number.NaN, Infinity, 0.1]), 0.9);
  assert.equal(maxAbs([0, 0]), 1);
  assert.equal(maxAbs([]), 1);
});

test('label colour contrasts with the fill', () => {
  assert.equal(textColourOn(divergingColour(1, 1)), 'white');
  assert.equal(textColourOn(divergingColour(0, 1)), 'black');
  assert.equal(textColourOn(sequentialColour(0)), 'black');
  assert.equal(textColourOn('#000000'), 'white');
});

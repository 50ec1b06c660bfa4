import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigenvalues, type Complex } from '../../src/analysis/eigen';
import { mulberry32 } from '../../src/engine/random';

/** Sorts by (re, im) so two spectra can be compared element-wise. */
function sorted(ev: Complex[]): Complex[] {
  return [...ev].sort((a, b) => (Math.abs(a.re - b.re) > 1e-7 ? a.re - b.re : a.im - b.im));
}

function assertSpectrum(got: Complex[], want: Complex[], tol: number): void {
  assert.equal(got.length, want.length);
  const g = sorted(got);
  const w = sorted(want);
  for (let i = 0; i < g.length; i++) {
    assert.ok(Math.abs(g[i].re - w[i].re) < tol && Math.abs(g[i].im - w[i].im) < tol, `eigenvalue ${i}: got ${g[i].re}+${g[i].im}i, want ${w[i].re}+${w[i].im}i`);
  }
}

/** A random orthogonal matrix as a product of Householder reflections. */
function randomOrthogonal(n: number, rand: () => number): number[][] {
  let q: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let k = 0; k < n; k++) {
    const v = Array.from({ length: n }, () => rand() - 0.5);
    const vv = v.reduce((s, x) => s + x * x, 0);
    q = q.map((row) => {
      const dot = row.reduce((s, x, j) => s + x * v[j], 0);
      return row.map((x, j) => x - (2 * dot * v[j]) / vv);
    });
  }
  return q;
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}
const transpose = (a: number[][]): number[][] => a[0].map((_, j) => a.map((row) => row[j]));
const flat = (a: number[][]): number[] => a.flat();

test('a triangular matrix has its diagonal as eigenvalues', () => {
  const a = [
    [3, 1, 4, 1],
    [0, -2, 5, 9],
    [0, 0, 0.5, 2],
    [0, 0, 0, 7],
  ];
  assertSpectrum(eigenvalues(flat(a), 4), [3, -2, 0.5, 7].map((re) => ({ re, im: 0 })), 1e-12);
});

test('a rotation has eigenvalues ±i', () => {
  assertSpectrum(eigenvalues([0, -1, 1, 0], 2), [{ re: 0, im: 1 }, { re: 0, im: -1 }], 1e-12);
});

test('the companion matrix of (x²+1)(x−2)(x−3) has roots ±i, 2, 3', () => {
  // x⁴ − 5x³ + 7x² − 5x + 6
  const c = [5, -7, 5, -6];
  const a = [c, [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];
  assertSpectrum(eigenvalues(flat(a), 4), [{ re: 0, im: 1 }, { re: 0, im: -1 }, { re: 2, im: 0 }, { re: 3, im: 0 }], 1e-9);
});

test('a 32×32 matrix Q·B·Qᵀ with a known mixed spectrum (real and complex pairs)', () => {
  const n = 32;
  const rand = mulberry32(7);
  const want: Complex[] = [];
  const b = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; ) {
    if (i % 3 === 0 && i + 1 < n) {
      // [[a, −c], [c, a]] has eigenvalues a ± ci.
      const a = rand() * 4 - 2;
      const c = rand() * 2 + 0.1;
      b[i][i] = a; b[i][i + 1] = -c; b[i + 1][i] = c; b[i + 1][i + 1] = a;
      want.push({ re: a, im: c }, { re: a, im: -c });
      i += 2;
    } else {
      const a = rand() * 6 - 3;
      b[i][i] = a;
      want.push({ re: a, im: 0 });
      i += 1;
    }
  }
  // Upper-triangular noise keeps the spectrum and makes the matrix non-normal.
  for (let i = 0; i < n; i++) for (let j = i + 2; j < n; j++) b[i][j] = rand() - 0.5;
  const q = randomOrthogonal(n, rand);
  const a = matmul(matmul(q, b), transpose(q));
  assertSpectrum(eigenvalues(flat(a), n), want, 1e-7);
});

test('a rank-deficient matrix has zero eigenvalues and its trace is kept', () => {
  const rand = mulberry32(3);
  const u = Array.from({ length: 6 }, () => [rand(), rand()]);
  const v = [Array.from({ length: 6 }, () => rand()), Array.from({ length: 6 }, () => rand())];
  const a = matmul(u, v); // rank 2
  const ev = eigenvalues(flat(a), 6);
  const trace = a.reduce((s, row, i) => s + row[i], 0);
  assert.ok(Math.abs(ev.reduce((s, e) => s + e.re, 0) - trace) < 1e-10);
  assert.equal(ev.filter((e) => Math.hypot(e.re, e.im) < 1e-8).length, 4);
});

test('bad input is rejected', () => {
  assert.throws(() => eigenvalues([1, 2, 3], 2), /expected 2×2/);
  assert.deepEqual(eigenvalues([], 0), []);
});

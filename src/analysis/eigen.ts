/**
 * Eigenvalues of a real, nonsymmetric square matrix, in float64.
 *
 * Used by the copying-head score (OV-circuit eigenvalues). Two classic steps:
 *   1. reduce to upper Hessenberg form with Householder reflections (orthogonal, so the
 *      spectrum is kept and rounding stays small);
 *   2. Francis implicit double-shift QR on the Hessenberg matrix until it deflates into
 *      1×1 (real) and 2×2 (complex-pair) blocks.
 * Only eigenvalues are computed; the callers never need eigenvectors.
 */

export interface Complex { re: number; im: number }

/** `a` is row-major n×n. Returns n eigenvalues (complex pairs adjacent), in no particular order. */
export function eigenvalues(a: ArrayLike<number>, n: number): Complex[] {
  if (a.length !== n * n) throw new Error(`eigenvalues: expected ${n}×${n} = ${n * n} entries, got ${a.length}`);
  if (n === 0) return [];
  const h: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j];
      if (!Number.isFinite(v)) throw new Error(`eigenvalues: entry (${i},${j}) is not finite`);
      row[j] = v;
    }
    h.push(row);
  }
  toHessenberg(h, n);
  return hessenbergQr(h, n);
}

/** In place: H ← Qᵀ A Q upper Hessenberg (zeros below the first subdiagonal). */
function toHessenberg(h: number[][], n: number): void {
  const v = new Array<number>(n).fill(0);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += h[i][k] * h[i][k];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    // Reflect x = H[k+1.., k] onto −sign(x0)·‖x‖·e1; the sign avoids cancellation.
    const alpha = h[k + 1][k] > 0 ? -norm : norm;
    let vnorm = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = h[i][k] - (i === k + 1 ? alpha : 0);
      vnorm += v[i] * v[i];
    }
    if (vnorm === 0) continue;
    // P = I − 2 v vᵀ / (vᵀv), applied from the left (rows k+1..) and the right (columns k+1..).
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k + 1; i < n; i++) dot += v[i] * h[i][j];
      const f = (2 * dot) / vnorm;
      for (let i = k + 1; i < n; i++) h[i][j] -= f * v[i];
    }
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += h[i][j] * v[j];
      const f = (2 * dot) / vnorm;
      for (let j = k + 1; j < n; j++) h[i][j] -= f * v[j];
    }
    for (let i = k + 2; i < n; i++) h[i][k] = 0;
  }
}

/** Francis double-shift QR on an upper Hessenberg matrix (destroys it). */
function hessenbergQr(h: number[][], nn: number): Complex[] {
  const re = new Array<number>(nn).fill(0);
  const im = new Array<number>(nn).fill(0);
  const eps = Number.EPSILON;
  let norm = 0;
  for (let i = 0; i < nn; i++) for (let j = Math.max(i - 1, 0); j < nn; j++) norm += Math.abs(h[i][j]);

  let n = nn - 1;
  let exshift = 0;
  let iter = 0;
  let totalIter = 0;
  let p = 0, q = 0, r = 0, s = 0, z = 0, w = 0, x = 0, y = 0;
  while (n >= 0) {
    // Find the lowest negligible subdiagonal entry: the active block is l..n.
    let l = n;
    while (l > 0) {
      s = Math.abs(h[l - 1][l - 1]) + Math.abs(h[l][l]);
      if (s === 0) s = norm;
      if (Math.abs(h[l][l - 1]) < eps * s) break;
      l--;
    }
    if (l === n) {
      // One real root deflated.
      re[n] = h[n][n] + exshift;
      im[n] = 0;
      n--;
      iter = 0;
    } else if (l === n - 1) {
      // A 2×2 block: its two roots in closed form.
      w = h[n][n - 1] * h[n - 1][n];
      p = (h[n - 1][n - 1] - h[n][n]) / 2;
      q = p * p + w;
      z = Math.sqrt(Math.abs(q));
      x = h[n][n] + exshift;
      if (q >= 0) {
        z = p >= 0 ? p + z : p - z;
        re[n - 1] = x + z;
        re[n] = z !== 0 ? x - w / z : x + z;
        im[n - 1] = 0;
        im[n] = 0;
      } else {
        re[n - 1] = x + p;
        re[n] = x + p;
        im[n - 1] = z;
        im[n] = -z;
      }
      n -= 2;
      iter = 0;
    } else {
      x = h[n][n];
      y = h[n - 1][n - 1];
      w = h[n][n - 1] * h[n - 1][n];
      // Exceptional shifts break the rare cycles the standard shift can fall into.
      if (iter === 10) {
        exshift += x;
        for (let i = 0; i <= n; i++) h[i][i] -= x;
        s = Math.abs(h[n][n - 1]) + Math.abs(h[n - 1][n - 2]);
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }
      if (iter === 30) {
        s = (y - x) / 2;
        s = s * s + w;
        if (s > 0) {
          s = Math.sqrt(s);
          if (y < x) s = -s;
          s = x - w / ((y - x) / 2 + s);
          for (let i = 0; i <= n; i++) h[i][i] -= s;
          exshift += s;
          x = y = w = 0.964;
        }
      }
      iter++;
      if (++totalIter > 100 * nn) throw new Error(`eigenvalues: QR iteration did not converge for a ${nn}×${nn} matrix`);

      // Start the bulge where two consecutive subdiagonal entries are small enough.
      let m = n - 2;
      while (m >= l) {
        z = h[m][m];
        r = x - z;
        s = y - z;
        p = (r * s - w) / h[m + 1][m] + h[m][m + 1];
        q = h[m + 1][m + 1] - z - r - s;
        r = h[m + 2][m + 1];
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p /= s;
        q /= s;
        r /= s;
        if (m === l) break;
        const lhs = Math.abs(h[m][m - 1]) * (Math.abs(q) + Math.abs(r));
        const rhs = eps * (Math.abs(p) * (Math.abs(h[m - 1][m - 1]) + Math.abs(z) + Math.abs(h[m + 1][m + 1])));
        if (lhs < rhs) break;
        m--;
      }
      for (let i = m + 2; i <= n; i++) {
        h[i][i - 2] = 0;
        if (i > m + 2) h[i][i - 3] = 0;
      }
      // Chase the bulge down with 3×3 Householder reflections.
      for (let k = m; k <= n - 1; k++) {
        const notLast = k !== n - 1;
        if (k !== m) {
          p = h[k][k - 1];
          q = h[k + 1][k - 1];
          r = notLast ? h[k + 2][k - 1] : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x === 0) continue;
          p /= x;
          q /= x;
          r /= x;
        }
        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) s = -s;
        if (s === 0) continue;
        if (k !== m) h[k][k - 1] = -s * x;
        else if (l !== m) h[k][k - 1] = -h[k][k - 1];
        p += s;
        x = p / s;
        y = q / s;
        z = r / s;
        q /= p;
        r /= p;
        for (let j = k; j < nn; j++) {
          p = h[k][j] + q * h[k + 1][j];
          if (notLast) {
            p += r * h[k + 2][j];
            h[k + 2][j] -= p * z;
          }
          h[k][j] -= p * x;
          h[k + 1][j] -= p * y;
        }
        for (let i = 0; i <= Math.min(n, k + 3); i++) {
          p = x * h[i][k] + y * h[i][k + 1];
          if (notLast) {
            p += z * h[i][k + 2];
            h[i][k + 2] -= p * r;
          }
          h[i][k] -= p;
          h[i][k + 1] -= p * q;
        }
      }
    }
  }
  return re.map((v, i) => ({ re: v, im: im[i] }));
}

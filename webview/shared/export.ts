/**
 * Figure export inside the webview. SVG: the panel's figures stacked into one SVG, with
 * the theme colours (CSS variables) resolved and written inline so the file looks the
 * same outside VS Code. PNG: that SVG drawn on a canvas (img-src data: is allowed by the
 * CSP for exactly this) at 2× for sharpness.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const INLINE = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'font-family', 'font-size', 'font-weight', 'opacity', 'text-anchor', 'dominant-baseline', 'stop-color'];

/** Copies the computed presentation of every element onto the clone as attributes. */
function inlineStyles(src: Element, dst: Element): void {
  const cs = getComputedStyle(src);
  for (const p of INLINE) {
    // Computed values include presentation attributes and theme CSS alike.
    const v = cs.getPropertyValue(p);
    if (v) dst.setAttribute(p, v);
  }
  dst.removeAttribute('class');
  dst.removeAttribute('tabindex');
  const sc = src.children;
  const dc = dst.children;
  for (let i = 0; i < sc.length; i++) inlineStyles(sc[i], dc[i]);
}

/** The figures stacked vertically in one standalone SVG document (string). */
export function figuresToSvg(figures: readonly SVGSVGElement[]): { svg: string; width: number; height: number } {
  const gap = 12;
  const width = Math.max(1, ...figures.map((f) => Number(f.getAttribute('width')) || f.getBoundingClientRect().width));
  const heights = figures.map((f) => Number(f.getAttribute('height')) || f.getBoundingClientRect().height);
  const height = heights.reduce((a, b) => a + b + gap, gap);
  const out = document.createElementNS(SVG_NS, 'svg');
  out.setAttribute('xmlns', SVG_NS);
  out.setAttribute('width', String(width));
  out.setAttribute('height', String(height));
  out.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor || 'white');
  out.appendChild(bg);
  let y = gap;
  figures.forEach((f, i) => {
    const c = f.cloneNode(true) as SVGSVGElement;
    inlineStyles(f, c);
    c.setAttribute('y', String(y));
    out.appendChild(c);
    y += heights[i] + gap;
  });
  return { svg: new XMLSerializer().serializeToString(out), width, height };
}

/** Base64 PNG (no data: prefix) of an SVG string. */
export function svgToPngBase64(svg: string, width: number, height: number, scale = 2): Promise<string> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(width * scale);
      canvas.height = Math.ceil(height * scale);
      const ctx = canvas.getContext('2d');
      if (!ctx) return reject(new Error('no 2d canvas'));
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      resolve(canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, ''));
    };
    img.onerror = () => reject(new Error('the figure could not be rendered to PNG'));
    img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  });
}

/**
 * Safe DOM building: text goes in through textContent only, never innerHTML, so a token
 * like `<img src=x onerror=…>` is shown as the characters it is.
 */

export interface ElOptions {
  cls?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, opts: ElOptions = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (opts.cls) e.className = opts.cls;
  if (opts.text !== undefined) e.textContent = opts.text;
  for (const [k, v] of Object.entries(opts.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.appendChild(c);
  return e;
}

/** Removes every child (the panels redraw from scratch on each message). */
export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

let tip: HTMLDivElement | undefined;

/** One tooltip per page; lines are set as text. Positioned with CSSOM (allowed by the CSP). */
export function showTooltip(lines: readonly string[], x: number, y: number): void {
  if (!tip) {
    tip = el('div', { cls: 'tooltip', attrs: { role: 'status', 'aria-live': 'polite' } });
    document.body.appendChild(tip);
  }
  clear(tip);
  lines.forEach((l, i) => tip!.appendChild(el(i === 0 ? 'strong' : 'div', { text: l })));
  tip.hidden = false;
  const w = tip.offsetWidth;
  const left = Math.min(x + 14, window.innerWidth + window.scrollX - w - 8);
  tip.style.left = `${Math.max(4, left)}px`;
  tip.style.top = `${y + 14}px`;
}

export function hideTooltip(): void {
  if (tip) tip.hidden = true;
}

/** Page coordinates of an element's centre, for placing the tooltip on keyboard focus. */
export function centreOf(e: Element): { x: number; y: number } {
  const r = e.getBoundingClientRect();
  return { x: r.left + window.scrollX + r.width / 2, y: r.top + window.scrollY + r.height / 2 };
}

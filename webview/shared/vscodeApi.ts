/**
 * The webview side of the host channel. `acquireVsCodeApi` may be called only once per
 * page, so this module owns it; everything else posts through `post`.
 */
import type { WebviewToHostMessage } from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewToHostMessage): void {
  api.postMessage(message);
}

export function onHostMessage(handler: (message: unknown) => void): void {
  window.addEventListener('message', (ev: MessageEvent) => handler(ev.data));
}

/**
 * The webview side of the host channel. `acquireVsCodeApi` may be called only once per
 * page, so this module owns it; everything else posts through `post`.
 */
import type { PanelState, WebviewToHostMessage } from '../../src/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewToHostMessage): void {
  api.postMessage(message);
}

export function onHostMessage(handler: (message: unknown) => void): void {
  window.addEventListener('message', (ev: MessageEvent) => handler(ev.data));
}

/** Kept by VS Code across a window reload and given to the panel serializer. */
export function saveState(state: PanelState): void {
  api.setState(state);
}

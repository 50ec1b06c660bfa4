/**
 * How failures reach the user: one line in an error message, details in the output
 * channel. A cancelled run is not an error and says nothing.
 */
import * as vscode from 'vscode';
import { EngineError } from '../worker/client';

export function isCancelled(err: unknown): boolean {
  return err instanceof EngineError && err.kind === 'cancelled';
}

export function reportError(err: unknown, output: vscode.OutputChannel, what: string): void {
  if (isCancelled(err)) {
    output.appendLine(`[${what}] cancelled`);
    return;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const firstLine = e.message.split('\n')[0];
  output.appendLine(`[${what}] ${e.name}: ${e.message}`);
  const stack = e instanceof EngineError ? e.engineStack : e.stack;
  if (stack && !(e.name === 'UserError' || (e instanceof EngineError && e.kind === 'user'))) output.appendLine(stack);
  // A crash has already been announced by the engine session's crash listener.
  if (e instanceof EngineError && e.kind === 'crashed') return;
  void vscode.window.showErrorMessage(`Circuit Explorer: ${firstLine}`);
}

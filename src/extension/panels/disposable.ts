/**
 * Base for objects that own VS Code resources: everything handed to _register() is
 * disposed with the owner, so a closed panel leaves no listeners behind.
 */
import type * as vscode from 'vscode';

export abstract class Disposable {
  private _isDisposed = false;
  private readonly _disposables: vscode.Disposable[] = [];

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    while (this._disposables.length) this._disposables.pop()?.dispose();
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }
}

/**
 * Entry point of the engine process (bundled to dist/worker.js, forked by EngineClient).
 * Holds one Model and runs analysis ops over the RPC in src/protocol/rpc.ts.
 */
import { loadModel } from '../engine/load';
import { runOp } from '../analysis/ops';
import type { Model } from '../engine/types';
import type { EngineMessage } from '../protocol/rpc';
import { WorkerServer } from './server';
import { describeModel } from './describe';

if (!process.send) {
  console.error('dist/worker.js is the engine process of Circuit Explorer; it is started by the extension or the CLI, not by hand');
  process.exit(2);
}

const send = (msg: EngineMessage) => {
  if (process.connected) process.send!(msg);
};

const server = new WorkerServer<Model>(
  {
    load: (params, ctx) =>
      loadModel({
        model: params.model,
        device: params.device,
        processing: params.processing,
        hubBaseUrl: params.hubBaseUrl,
        cacheDir: params.cacheDir,
        cwd: ctx.cwd,
        signal: ctx.signal,
        onProgress: (message, fraction) => ctx.onProgress({ done: Math.round((fraction ?? 0) * 100), total: 100, message }),
      }),
    describe: describeModel,
    runOp: (model, req, ctx) => runOp(model, req, ctx),
    dispose: (model) => model.dispose(),
  },
  send,
);

process.on('message', (msg) => server.handle(msg));
// The host went away (window closed, extension host crashed): nothing left to serve.
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (err) => {
  send({ type: 'notification', method: 'log', params: { level: 'error', message: `engine: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}` } });
});

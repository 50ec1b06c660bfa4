/**
 * The only file that imports onnxruntime-node. Everything else sees the project's Tensor
 * (float32) and `Int64Feed` (token ids, patch sources); on CPU both directions are views,
 * not copies.
 */
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from './errors';
import { GraphBuilder } from './graph/builder';
import type { Tensor } from './tensor';

export type Device = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

/** An int64 input (token ids, patch source rows); Int32Array is widened. */
export interface Int64Feed {
  readonly dims: readonly number[];
  readonly int64: BigInt64Array | Int32Array | readonly number[];
}
export type Feed = Tensor | Int64Feed;

export interface Session {
  /** Execution provider actually running this session. */
  readonly device: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Feed>, fetches: readonly string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

// Probing a provider that is not installed (CUDA without its libraries) makes ORT log an
// error line to stderr; that failure is expected and reported by us as a fallback or a
// UserError, and the CLI's stderr must stay readable. Real failures still throw.
ort.env.logLevel = 'fatal';

export const ORT_VERSION: string = ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';

/**
 * The order `auto` tries, by platform; CPU always last. A provider whose prerequisites are
 * plainly absent is not tried: probing CUDA without its provider library, or WebGPU on Linux
 * without Vulkan, costs a second and prints native warnings we cannot silence.
 */
function autoOrder(): Exclude<Device, 'auto'>[] {
  const gpu: Exclude<Device, 'auto'>[] =
    process.platform === 'linux' ? ['cuda'] : process.platform === 'win32' ? ['dml'] : process.platform === 'darwin' ? ['coreml'] : [];
  return [...gpu, 'webgpu', 'cpu'].filter((ep) => plausible(ep as Device)) as Exclude<Device, 'auto'>[];
}

function plausible(ep: Device): boolean {
  if (ep === 'cuda') {
    // The CUDA provider is a separate library that onnxruntime-node's install script fetches.
    const bin = bindingDir();
    return bin === null || existsSync(join(bin, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
  }
  if (ep === 'webgpu' && process.platform === 'linux') {
    return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'].some((d) => existsSync(join(d, 'libvulkan.so.1')));
  }
  return true;
}

function bindingDir(): string | null {
  try {
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

function options(ep: string): ort.InferenceSession.SessionOptions {
  // Two cores is the floor we design for: let ORT use what the machine has, but one
  // session at a time runs (the orchestrator awaits each stage), so no oversubscription.
  return {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // The arena keeps every run's peak (a big sweep batch) for the process's life: measured
    // on gpt2-small, 3.5 GB RSS with it vs 1.8 GB without, for no visible speed gain.
    enableCpuMemArena: false,
    logSeverityLevel: 4,
  };
}

function toOrt(f: Feed): ort.Tensor {
  if ('int64' in f) {
    const src = f.int64;
    const data = src instanceof BigInt64Array ? src : BigInt64Array.from(src as ArrayLike<number>, (v) => BigInt(v));
    return new ort.Tensor('int64', data, [...f.dims]);
  }
  return new ort.Tensor('float32', f.data, [...f.dims]);
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  if (t.type !== 'float32') throw new Error(`runtime: output ${name} is ${t.type}, expected float32`);
  return { dims: [...t.dims], data: t.data as Float32Array };
}

class OrtSession implements Session {
  constructor(private readonly s: ort.InferenceSession, readonly device: string) {}
  get inputNames(): readonly string[] { return this.s.inputNames; }
  get outputNames(): readonly string[] { return this.s.outputNames; }

  async run(feeds: Record<string, Feed>, fetches: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
    const out = await this.s.run(ortFeeds, [...fetches]);
    const res: Record<string, Tensor> = {};
    for (const name of fetches) res[name] = fromOrt(name, out[name]);
    return res;
  }

  async release(): Promise<void> {
    await this.s.release();
  }
}

/**
 * Creates a session on `device`. `auto` tries CUDA (Linux), DirectML (Windows), CoreML
 * (macOS), then WebGPU, then CPU, and keeps the first that initialises. A named device
 * that cannot initialise is a UserError listing what does.
 */
export async function createSession(bytes: Uint8Array, device: string = 'auto'): Promise<Session> {
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new UserError(`unknown device '${device}': expected one of ${DEVICES.join(', ')}`);
  }
  if (device !== 'auto') {
    try {
      return new OrtSession(await ort.InferenceSession.create(bytes, options(device)), device);
    } catch (e) {
      if (device === 'cpu') throw e; // a CPU failure is a broken graph, not a missing device
      const avail = await availableDevices();
      throw new UserError(`device '${device}' is not available here: available are ${avail.join(', ')}`);
    }
  }
  let lastError: unknown;
  for (const ep of autoOrder()) {
    try {
      return new OrtSession(await ort.InferenceSession.create(bytes, options(ep)), ep);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

let probed: Promise<string[]> | null = null;

/** Devices that actually initialise here, found by creating a one-node session on each (once). */
export function availableDevices(): Promise<string[]> {
  probed ??= (async () => {
    const out: string[] = [];
    for (const ep of ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const) {
      if (!plausible(ep)) continue; // its native probe would only print warnings
      try {
        const s = await ort.InferenceSession.create(probeModel(), options(ep));
        await s.release();
        out.push(ep);
      } catch {
        // not available here
      }
    }
    return out;
  })();
  return probed;
}

/** A one-node graph (y = x + 0) to probe which providers initialise. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe');
  g.add(g.input('x', 'float', [1]), g.scalar(0), 'y');
  g.output('y', 'float', [1]);
  return g.build();
}

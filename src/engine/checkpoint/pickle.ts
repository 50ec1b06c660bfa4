/**
 * A pickle reader that only builds data. Python's unpickler imports and calls whatever a
 * GLOBAL names (so `torch.load` of an untrusted file can run any code); this one hands each
 * global name to the caller's whitelist, which either returns a plain function building a
 * value or refuses, and no opcode can reach anything else. Opcodes are the ones
 * `torch.save` (protocol 2) and Python's pickler emit for dicts, lists, tuples, numbers,
 * strings and the whitelisted reductions; any other is refused by name.
 */
import { UserError } from '../errors';

/** What a whitelisted global stands for: builds a value from REDUCE/NEWOBJ arguments. */
export interface PickleCallable {
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

export interface PickleHost {
  /** GLOBAL / STACK_GLOBAL: the whitelisted meaning of `module.name`, or throw. */
  global(module: string, name: string): PickleCallable | object;
  /** BINPERSID: what a persistent id (torch: a storage reference) stands for. */
  persistentLoad(pid: unknown): unknown;
  /** BUILD: set `state` on `obj` (a value one of the host's callables made); throw if not allowed. */
  build(obj: unknown, state: unknown): void;
}

/** A pickled Python `dict` (and OrderedDict): insertion-ordered like Python's. */
export type PickleDict = Map<unknown, unknown>;

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT',
  0x53: 'STRING', 0x56: 'UNICODE', 0x50: 'PERSID', 0x70: 'PUT', 0x67: 'GET', 0x64: 'DICT', 0x6c: 'LIST',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
};

function describeOpcode(op: number): string {
  const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  return `${OPCODE_NAMES[op] ?? 'unknown'} (0x${op.toString(16).padStart(2, '0')}${printable})`;
}

/** Little-endian two's-complement integer of `bytes` (LONG1/LONG4). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Run the pickle in `data` (named `file` in errors) with `host` deciding every global. */
export function unpickle(data: Uint8Array, file: string, host: PickleHost): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const fail = (why: string): never => {
    throw new UserError(`corrupt pickle in ${file} at byte ${pos}: ${why}`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > buf.length) fail('it ends early');
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK');
    return stack.splice(m!);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated GLOBAL');
    const s = buf.toString('utf8', pos, end);
    pos = end + 1;
    return s;
  };
  const str = (n: number): string => buf.toString('utf8', need(n), pos);
  const bytes = (n: number): Uint8Array => Uint8Array.prototype.slice.call(buf, need(n), pos);
  const u64 = (): number => {
    const v = buf.readBigUInt64LE(need(8));
    if (v > BigInt(buf.length)) fail(`length ${v} is past the end`);
    return Number(v);
  };
  const asDict = (d: unknown): PickleDict => (d instanceof Map ? d : fail('SETITEM on something that is not a dict'));
  const asList = (l: unknown): unknown[] => (Array.isArray(l) ? l : fail('APPEND on something that is not a list'));
  const call = (f: unknown, args: unknown): unknown => {
    if (!f || typeof (f as PickleCallable).call !== 'function' || typeof (f as PickleCallable).qualifiedName !== 'string') {
      fail('REDUCE of something that is not a whitelisted global');
    }
    if (!Array.isArray(args)) fail('REDUCE arguments are not a tuple');
    return (f as PickleCallable).call(args as unknown[]);
  };
  const getMemo = (i: number): unknown => (memo.has(i) ? memo.get(i) : fail(`memo ${i} is unset`));

  for (;;) {
    if (pos >= buf.length) fail('no STOP opcode');
    const op = buf[pos++];
    switch (op) {
      case 0x80: need(1); break; // PROTO
      case 0x95: need(8); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE (tuples are arrays here)
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x4a: stack.push(buf.readInt32LE(need(4))); break; // BININT
      case 0x4b: stack.push(buf[need(1)]); break; // BININT1
      case 0x4d: stack.push(buf.readUInt16LE(need(2))); break; // BININT2
      case 0x8a: stack.push(decodeLong(bytes(buf[need(1)]))); break; // LONG1
      case 0x8b: { const n = buf.readInt32LE(need(4)); stack.push(decodeLong(bytes(n))); break; } // LONG4
      case 0x47: stack.push(buf.readDoubleBE(need(8))); break; // BINFLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x58: stack.push(str(buf.readUInt32LE(need(4)))); break; // BINUNICODE
      case 0x8c: stack.push(str(buf[need(1)])); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x54: stack.push(buf.toString('latin1', need(buf.readInt32LE(need(4))), pos)); break; // BINSTRING
      case 0x55: stack.push(buf.toString('latin1', need(buf[need(1)]), pos)); break; // SHORT_BINSTRING
      case 0x42: stack.push(bytes(buf.readUInt32LE(need(4)))); break; // BINBYTES
      case 0x43: stack.push(bytes(buf[need(1)])); break; // SHORT_BINBYTES
      case 0x71: memo.set(buf[need(1)], top()); break; // BINPUT
      case 0x72: memo.set(buf.readUInt32LE(need(4)), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(getMemo(buf[need(1)])); break; // BINGET
      case 0x6a: stack.push(getMemo(buf.readUInt32LE(need(4)))); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); stack.push(host.global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
        stack.push(host.global(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); stack.push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args)); break; } // NEWOBJ: cls(*args)
      case 0x62: { const state = pop(); host.build(top(), state); break; } // BUILD
      case 0x73: { const v = pop(); const k = pop(); asDict(top()).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const d = asDict(top());
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: { const v = pop(); asList(top()).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); asList(top()).push(...items); break; } // APPENDS
      case 0x51: stack.push(host.persistentLoad(pop())); break; // BINPERSID
      case 0x30: if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop(); else pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        pos--;
        throw new UserError(`unsupported pickle opcode ${describeOpcode(op)} at byte ${pos} in ${file}: only tensors and dicts load`);
    }
  }
}

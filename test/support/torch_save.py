#!/usr/bin/env python3
"""Write a torch.save-format checkpoint (pytorch_model.bin) without torch.

An independent reference for the TypeScript reader (src/engine/checkpoint/torchZip.ts):
the zip comes from Python's own `zipfile` (ZIP_STORED) and data.pkl from Python's own
`pickle` (protocol 2, as torch.save uses), with stand-in `torch` / `torch._utils` modules
so the pickle names exactly the globals torch's does (torch FloatStorage,
torch._utils _rebuild_tensor_v2, collections OrderedDict with a `_metadata` attribute).

Usage: python3 torch_save.py SPEC.json OUT.bin

SPEC (JSON):
  tensors: [{name, dtype: F32|F16|BF16, shape: [..],
             one of  file: raw little-endian float32 values | values: [..] | seed: int,
             storage_offset: k  (the storage holds k filler elements before the tensor),
             transpose: true    (2-D: stored as the transpose, viewed with strides (1, rows)),
             tie: other_name    (same storage and view as that tensor, as tied weights are)}]
  archive: top folder name (default "archive")
  byteorder: "little" (default) | "big" | null (no byteorder entry)
  compress: true  -> entries ZIP_DEFLATED (torch never does this)
  zip64: true     -> zipfile's zip64 threshold lowered so this small file uses zip64 records
                     exactly as a > 4 GB one would
  omit_storage_of: name -> leave that tensor's storage entry out of the zip
  data_pkl_hex: hex -> use these bytes as data.pkl instead of the pickled state dict
  evil_command: cmd -> add an entry that unpickles to os.system(cmd) under torch.load
"""
import array
import collections
import io
import json
import os
import pickle
import random
import struct
import sys
import types
import zipfile

assert sys.byteorder == 'little', 'the writer packs host-order arrays'


def install_fake_torch():
    """Modules `torch` and `torch._utils` with the names torch's pickles refer to."""
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')
    classes = {}
    for name, dtype in (('FloatStorage', 'F32'), ('HalfStorage', 'F16'), ('BFloat16Storage', 'BF16')):
        cls = type(name, (), {'__module__': 'torch', 'dtype': dtype})
        cls.__qualname__ = name
        setattr(torch, name, cls)
        classes[dtype] = cls

    def _rebuild_tensor_v2(*args):
        raise RuntimeError('the writer never unpickles')

    _rebuild_tensor_v2.__module__ = 'torch._utils'
    _rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    sys.modules['torch'] = torch
    sys.modules['torch._utils'] = utils
    return classes, _rebuild_tensor_v2


STORAGE_CLASSES, REBUILD = install_fake_torch()


class Storage:
    def __init__(self, dtype, values):
        self.cls = STORAGE_CLASSES[dtype]
        self.numel = len(values)
        self.data = encode(dtype, values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


class Evil:
    def __init__(self, cmd):
        self.cmd = cmd


def encode(dtype, values):
    f32 = array.array('f', values)
    if dtype == 'F32':
        return f32.tobytes()
    if dtype == 'F16':
        return struct.pack('<%de' % len(values), *values)
    # BF16: the top 16 bits of the float32.
    bits = array.array('I', f32.tobytes())
    return array.array('H', (b >> 16 for b in bits)).tobytes()


class TorchPickler(pickle.Pickler):
    """Storages become persistent ids and tensors reduce to _rebuild_tensor_v2, as in torch.save."""

    def __init__(self, f):
        super().__init__(f, protocol=2)
        self.keys = {}
        self.storages = {}

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            key = self.keys.get(id(obj))
            if key is None:
                key = self.keys[id(obj)] = str(len(self.keys))
                self.storages[key] = obj
            return ('storage', obj.cls, key, 'cpu', obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return (REBUILD, (obj.storage, obj.offset, obj.size, obj.stride, False, collections.OrderedDict()))
        if isinstance(obj, Evil):
            return (os.system, (obj.cmd,))
        return NotImplemented


def values_of(t):
    n = 1
    for d in t['shape']:
        n *= d
    if 'file' in t:
        a = array.array('f')
        with open(t['file'], 'rb') as f:
            a.frombytes(f.read())
        vals = a.tolist()
    elif 'values' in t:
        vals = [float(v) for v in t['values']]
    else:
        rng = random.Random(t['seed'])
        vals = [rng.gauss(0, 0.5) for _ in range(n)]
    if len(vals) != n:
        raise SystemExit('%s: %d values for shape %s' % (t['name'], len(vals), t['shape']))
    return vals


def build_state_dict(spec):
    sd = collections.OrderedDict()
    for t in spec['tensors']:
        if 'tie' in t:
            # state_dict() detaches each name separately: two tensors, one storage.
            o = sd[t['tie']]
            sd[t['name']] = Tensor(o.storage, o.offset, o.size, o.stride)
            continue
        shape = list(t['shape'])
        vals = values_of(t)
        stride = [1] * len(shape)
        for i in range(len(shape) - 2, -1, -1):
            stride[i] = stride[i + 1] * shape[i + 1]
        if t.get('transpose'):
            rows, cols = shape
            vals = [vals[i * cols + j] for j in range(cols) for i in range(rows)]
            stride = [1, rows]
        offset = t.get('storage_offset', 0)
        storage = Storage(t['dtype'], [0.5] * offset + vals)
        sd[t['name']] = Tensor(storage, offset, shape, stride)
    if 'evil_command' in spec:
        sd['evil'] = Evil(spec['evil_command'])
    # As nn.Module.state_dict() leaves it: module versions in an attribute.
    sd._metadata = collections.OrderedDict([('', {'version': 1})])
    return sd


def aligned_info(zf, name, compress):
    """A ZipInfo whose data starts on a 64-byte boundary, as torch's writer pads it."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode())
    pad = (-(start + 4)) % 64
    info.extra = struct.pack('<HH', 0x4246, pad) + b'Z' * pad
    return info


def main():
    spec_path, out = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    if spec.get('zip64'):
        zipfile.ZIP64_LIMIT = 64
    sd = build_state_dict(spec)
    buf = io.BytesIO()
    pickler = TorchPickler(buf)
    pickler.dump(sd)
    pkl = bytes.fromhex(spec['data_pkl_hex']) if 'data_pkl_hex' in spec else buf.getvalue()
    archive = spec.get('archive', 'archive')
    compress = bool(spec.get('compress'))
    omit = None
    if 'omit_storage_of' in spec:
        omit = pickler.keys[id(sd[spec['omit_storage_of']].storage)]
    with zipfile.ZipFile(out, 'w', allowZip64=True) as zf:
        def put(name, data):
            zf.writestr(aligned_info(zf, archive + '/' + name, compress), data)
        put('data.pkl', pkl)
        if spec.get('byteorder', 'little') is not None:
            put('byteorder', spec.get('byteorder', 'little'))
        for key, storage in pickler.storages.items():
            if key != omit:
                put('data/' + key, storage.data)
        put('version', '3\n')
        put('.data/serialization_id', '1234567890123456789012345678901234567890')


if __name__ == '__main__':
    main()

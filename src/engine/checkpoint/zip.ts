/**
 * The little of the zip format torch.save needs: the central directory (zip64 included,
 * since checkpoints over 4 GB exist) and each entry's local header, to find where its
 * bytes start. Entries must be STORED (torch writes them uncompressed and 64-byte aligned),
 * so a tensor is read straight from the file at an offset; nothing is inflated.
 */
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's first data byte (after its local header). */
  dataStart: number;
  size: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65535. */
const MAX_TAIL = 22 + 0xffff;

async function readAt(fh: FileHandle, path: string, pos: number, len: number, what: string): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  if (bytesRead !== len) throw new UserError(`truncated checkpoint ${path}: ${what} runs past the end of the file`);
  return buf;
}

/** A u64 as a number; refuses sizes past 2^53 (no real file is that big). */
function u64(buf: Buffer, at: number, path: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UserError(`corrupt zip ${path}: a zip64 field is ${v}`);
  return Number(v);
}

/** Central directory offset, size and entry count, from the end record (and its zip64 twin). */
async function findCentralDirectory(fh: FileHandle, path: string, size: number): Promise<{ offset: number; bytes: number; count: number }> {
  const tailLen = Math.min(size, MAX_TAIL);
  const tail = await readAt(fh, path, size - tailLen, tailLen, 'the end record');
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new UserError(`not a zip archive or truncated: ${path} (no end-of-central-directory record; a torch.save checkpoint is a zip)`);
  let count = tail.readUInt16LE(at + 10);
  let bytes = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  const eocdPos = size - tailLen + at;
  if (eocdPos >= 20) {
    const loc = await readAt(fh, path, eocdPos - 20, 20, 'the zip64 locator');
    if (loc.readUInt32LE(0) === ZIP64_LOCATOR) {
      const recPos = u64(loc, 8, path);
      const rec = await readAt(fh, path, recPos, 56, 'the zip64 end record');
      if (rec.readUInt32LE(0) !== ZIP64_EOCD) throw new UserError(`corrupt zip ${path}: the zip64 end record is missing`);
      count = u64(rec, 32, path);
      bytes = u64(rec, 40, path);
      offset = u64(rec, 48, path);
    }
  }
  if (offset + bytes > size) throw new UserError(`truncated checkpoint ${path}: the zip central directory runs past the end of the file`);
  return { offset, bytes, count };
}

/** Every entry of the archive, by name. Refuses compressed or encrypted entries. */
export async function readZipEntries(fh: FileHandle, path: string, size: number): Promise<Map<string, ZipEntry>> {
  const cd = await findCentralDirectory(fh, path, size);
  const dir = await readAt(fh, path, cd.offset, cd.bytes, 'the zip central directory');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < cd.count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL) throw new UserError(`corrupt zip ${path}: central directory entry ${i} is malformed`);
    const flags = dir.readUInt16LE(p + 8);
    const method = dir.readUInt16LE(p + 10);
    let csize = dir.readUInt32LE(p + 20);
    let usize = dir.readUInt32LE(p + 24);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let local = dir.readUInt32LE(p + 42);
    const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 extra field (id 1): only the fields whose 32-bit slot is 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dir.readUInt16LE(e);
      const len = dir.readUInt16LE(e + 2);
      if (id === 1) {
        let f = e + 4;
        const next = (): number => {
          if (f + 8 > e + 4 + len) throw new UserError(`corrupt zip ${path}: entry '${name}' has a short zip64 field`);
          const v = u64(dir, f, path);
          f += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;
    if (flags & 1) throw new UserError(`encrypted entry '${name}' in ${path}: torch checkpoints are never encrypted`);
    if (method !== 0) {
      throw new UserError(`compressed entry '${name}' (zip method ${method}) in ${path}: torch.save stores entries uncompressed; re-save the checkpoint with torch.save`);
    }
    if (csize !== usize) throw new UserError(`corrupt zip ${path}: stored entry '${name}' has sizes ${csize} and ${usize}`);
    entries.set(name, { name, dataStart: local, size: usize });
  }
  // The data starts after each local header, whose name and extra field may differ in length
  // from the central copy (zip64 extras are often only there).
  for (const entry of entries.values()) {
    const head = await readAt(fh, path, entry.dataStart, 30, `the local header of '${entry.name}'`);
    if (head.readUInt32LE(0) !== LOCAL) throw new UserError(`corrupt zip ${path}: no local header for '${entry.name}'`);
    entry.dataStart += 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    if (entry.dataStart + entry.size > size) throw new UserError(`truncated checkpoint ${path}: entry '${entry.name}' runs past the end of the file`);
  }
  return entries;
}

/** The whole content of one (small) entry. */
export async function readZipEntry(fh: FileHandle, path: string, entry: ZipEntry): Promise<Buffer> {
  return readAt(fh, path, entry.dataStart, entry.size, `entry '${entry.name}'`);
}

/**
 * IDX files (LeCun's MNIST format, also used by Fashion-MNIST), raw or gzip-compressed.
 *
 *   bytes 0-1  zero
 *   byte  2    data type: 0x08 unsigned byte (the only one read here)
 *   byte  3    number of dimensions d
 *   4*d bytes  each dimension, big-endian uint32
 *   payload    prod(dims) bytes, row-major
 *
 * So the magic is 0x00000801 for a label vector, 0x00000803 for [n, rows, cols] images.
 * A gzip file is recognised by its magic 0x1f 0x8b and inflated with node:zlib, never past the size
 * its own header declares (so a gzip bomb stops at that size); a header declaring more than
 * MAX_IDX_BYTES, and a file larger than that on disk, are refused before anything is inflated.
 * Every problem is an IdxFormatError whose message starts with the file name.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';

/** Largest IDX file read (header + payload): 256 MiB, five times the full Fashion-MNIST training images. */
export const MAX_IDX_BYTES = 2 ** 28;

export class IdxFormatError extends Error {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'IdxFormatError';
    this.file = file;
  }
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** True when the bytes start with the gzip magic 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parse IDX bytes (raw or gzip). `file` only names the source in error messages.
 * `expectDims`, when given, is the number of dimensions the caller needs (1 for labels, 3 for images).
 */
export function parseIdx(bytes: Uint8Array, file = '<buffer>', expectDims?: number): IdxArray {
  // 1. The header: the first bytes, inflated alone when the file is gzip.
  const gzip = isGzip(bytes);
  const buf = gzip ? inflatePrefix(bytes, file) : bytes;
  const { dims, headerLen, size } = parseHeader(buf, file, expectDims);
  // 2. The payload: a gzip file is inflated up to the size its header declares (plus one byte to
  //    tell trailing bytes apart), never further.
  let whole = buf;
  if (gzip) {
    try {
      whole = gunzipSync(bytes, { maxOutputLength: headerLen + size + 1 });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new IdxFormatError(file, `payload has more than ${size} bytes, header says ${dims.join('x')} = ${size} (trailing bytes; inflating stopped there)`);
      }
      throw new IdxFormatError(file, `gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  // 3. The payload must be exactly prod(dims) bytes.
  const payload = whole.length - headerLen;
  if (payload !== size) {
    throw new IdxFormatError(
      file,
      `payload has ${payload} bytes, header says ${dims.join('x')} = ${size}${payload < size ? ' (truncated)' : ' (trailing bytes)'}`,
    );
  }
  // 4. Copy into a fresh, exactly sized array (does not pin the inflated buffer's pool).
  const data = new Uint8Array(size);
  data.set(whole.subarray(headerLen));
  return { dims, data };
}

/**
 * The start of a gzip stream, inflated from its first 256, 4 KiB or 64 KiB bytes (the first that
 * yields a whole IDX header): bounded whatever the stream inflates to.
 */
function inflatePrefix(bytes: Uint8Array, file: string): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  for (const n of [256, 4096, 65536]) {
    try {
      out = gunzipSync(bytes.subarray(0, n), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new IdxFormatError(file, `gzip data is corrupt or truncated (${(e as Error).message})`);
    }
    if ((out.length >= 4 && out.length >= 4 + 4 * out[3]) || n >= bytes.length) break;
  }
  return out;
}

/** The magic and the dimensions; the declared size is checked against MAX_IDX_BYTES. */
function parseHeader(buf: Uint8Array, file: string, expectDims?: number): { dims: number[]; headerLen: number; size: number } {
  // The 4-byte magic: two zero bytes, the type, the number of dimensions.
  if (buf.length < 4) {
    throw new IdxFormatError(file, `file has ${buf.length} bytes, too short for the 4-byte IDX magic`);
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    const magic = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
    throw new IdxFormatError(
      file,
      `bad magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x00000801 for labels or 0x00000803 for images)`,
    );
  }
  const type = buf[2];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? 'unknown type';
    throw new IdxFormatError(
      file,
      `data type 0x${type.toString(16).padStart(2, '0')} (${name}) is not supported; only 0x08 (unsigned byte) is`,
    );
  }
  const nd = buf[3];
  if (nd === 0) throw new IdxFormatError(file, 'header declares 0 dimensions');
  if (expectDims !== undefined && nd !== expectDims) {
    const want = expectDims === 1 ? '0x00000801 (labels)' : expectDims === 3 ? '0x00000803 (images)' : `${expectDims} dimensions`;
    throw new IdxFormatError(file, `magic number 0x000008${nd.toString(16).padStart(2, '0')} has ${nd} dimension(s), expected ${want}`);
  }
  // The dimensions, big-endian uint32.
  const headerLen = 4 + 4 * nd;
  if (buf.length < headerLen) {
    throw new IdxFormatError(file, `header is truncated: ${nd} dimensions need ${headerLen} header bytes, file has ${buf.length}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  if (headerLen + size > MAX_IDX_BYTES) {
    throw new IdxFormatError(file, `header declares ${dims.join('x')} = ${size} bytes, more than the ${MAX_IDX_BYTES} bytes read at most`);
  }
  return { dims, headerLen, size };
}

/** A file larger than MAX_IDX_BYTES on disk is refused before it is read. */
function checkFileSize(path: string, bytes: number): void {
  if (bytes > MAX_IDX_BYTES) throw new IdxFormatError(path, `file has ${bytes} bytes, more than the ${MAX_IDX_BYTES} bytes read at most`);
}

/** Read an IDX file (raw or gzip), asynchronously. */
export async function readIdx(path: string, expectDims?: number): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    checkFileSize(path, (await stat(path)).size);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof IdxFormatError) throw e;
    throw new IdxFormatError(path, `cannot read file (${(e as Error).message})`);
  }
  return parseIdx(bytes, path, expectDims);
}

/** Read an IDX file (raw or gzip), synchronously. */
export function readIdxSync(path: string, expectDims?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    checkFileSize(path, statSync(path).size);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof IdxFormatError) throw e;
    throw new IdxFormatError(path, `cannot read file (${(e as Error).message})`);
  }
  return parseIdx(bytes, path, expectDims);
}

/** Encode an unsigned-byte IDX array; gzip-compressed when `gzip` is true. */
export function encodeIdx(arr: IdxArray, opts: { gzip?: boolean; level?: number } = {}): Uint8Array {
  const { dims, data } = arr;
  if (dims.length === 0 || dims.length > 255) throw new RangeError(`encodeIdx: ${dims.length} dimensions (1..255 allowed)`);
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`encodeIdx: bad dimension ${d}`);
    size *= d;
  }
  if (data.length !== size) throw new RangeError(`encodeIdx: data has ${data.length} bytes, dims ${dims.join('x')} = ${size}`);
  const headerLen = 4 + 4 * dims.length;
  const out = new Uint8Array(headerLen + size);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, headerLen);
  return opts.gzip ? gzipSync(out, { level: opts.level ?? 9 }) : out;
}

/** Write an unsigned-byte IDX file; gzip when `opts.gzip` is true or, by default, when the path ends in .gz. */
export async function writeIdx(path: string, arr: IdxArray, opts: { gzip?: boolean; level?: number } = {}): Promise<void> {
  await writeFile(path, encodeIdx(arr, { ...opts, gzip: opts.gzip ?? path.endsWith('.gz') }));
}

/** Synchronous writeIdx. */
export function writeIdxSync(path: string, arr: IdxArray, opts: { gzip?: boolean; level?: number } = {}): void {
  writeFileSync(path, encodeIdx(arr, { ...opts, gzip: opts.gzip ?? path.endsWith('.gz') }));
}

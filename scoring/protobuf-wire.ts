/**
 * Just enough of the protobuf wire format to edit an ONNX file without decoding all of it.
 *
 * Why not decode with onnx-proto and encode again: its definitions stop at ONNX 1.10 (IR 8), so a
 * round trip silently drops fields newer exporters write (IR 10 node metadata, overloads, ...),
 * and decoding would copy every initializer of a large tree ensemble. Splitting a message into its
 * raw fields and re-assembling the ones we keep is lossless and cheap.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** One field occurrence inside a message: `bytes` is the whole encoding (tag included). */
export interface RawField {
  fieldNumber: number;
  wireType: number;
  bytes: Uint8Array;
  /** For length-delimited fields: the payload without tag and length. */
  payload: Uint8Array | null;
}

export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let factor = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    factor *= 128;
  }
  throw new WireFormatError(`truncated or overlong varint at byte ${pos}`);
}

/** Splits an encoded message into its top-level fields, in file order. */
export function splitFields(buf: Uint8Array): RawField[] {
  const fields: RawField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const tag = readVarint(buf, pos);
    pos = tag.next;
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (fieldNumber === 0) throw new WireFormatError(`field number 0 at byte ${start}`);
    let payload: Uint8Array | null = null;
    switch (wireType) {
      case WIRE_VARINT:
        pos = readVarint(buf, pos).next;
        break;
      case WIRE_FIXED64:
        pos += 8;
        break;
      case WIRE_FIXED32:
        pos += 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = readVarint(buf, pos);
        pos = length.next + length.value;
        payload = buf.subarray(length.next, pos);
        break;
      }
      default:
        throw new WireFormatError(`unsupported wire type ${wireType} at byte ${start}`);
    }
    if (pos > buf.length) throw new WireFormatError(`field ${fieldNumber} at byte ${start} runs past the end`);
    fields.push({ fieldNumber, wireType, bytes: buf.subarray(start, pos), payload });
  }
  return fields;
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Encodes `payload` as length-delimited field `fieldNumber` (tag, length, bytes). */
export function lengthDelimitedField(fieldNumber: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint(fieldNumber * 8 + WIRE_LENGTH_DELIMITED), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

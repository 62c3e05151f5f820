import { TokenFormatError } from './errors.js';
import type { Caveat, Macaroon } from './types.js';

/**
 * libmacaroons V1 binary format, the one oz-worker 17.06.2 uses (MAC `macaroon:serialize/1`): a sequence of
 * packets `HHHH<key> <value>\n`, where HHHH is the lower-case hex length of the whole packet (header and
 * newline included). Order: location, identifier, then per caveat `cid` [`vid` `cl`], then signature.
 */
const HEADER = 4;
const MAX_PACKET = 0xffff;
const SIGNATURE_BYTES = 32;

interface Packet {
  key: string;
  value: Uint8Array;
  offset: number;
}

function encodePacket(key: string, value: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(`${key} `, 'utf8'), value, Buffer.from('\n')]);
  const size = HEADER + body.length;
  if (size > MAX_PACKET)
    throw new TokenFormatError('T_TOO_LONG', `the ${key} packet would be ${size} bytes; V1 allows ${MAX_PACKET}`);
  return Buffer.concat([Buffer.from(size.toString(16).padStart(HEADER, '0'), 'ascii'), body]);
}

const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

export function encodeV1(m: Macaroon): Buffer {
  const packets = [encodePacket('location', text(m.location)), encodePacket('identifier', text(m.identifier))];
  for (const c of m.caveats) {
    packets.push(encodePacket('cid', text(c.cid)));
    if (c.vid !== undefined) packets.push(encodePacket('vid', c.vid));
    if (c.cl !== undefined) packets.push(encodePacket('cl', text(c.cl)));
  }
  packets.push(encodePacket('signature', m.signature));
  return Buffer.concat(packets);
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

function hexDump(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

function splitPackets(bytes: Buffer): Packet[] {
  const packets: Packet[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const header = bytes.subarray(offset, offset + HEADER);
    const headerText = header.toString('latin1');
    if (!HEX4.test(headerText)) {
      throw new TokenFormatError(
        'T_PACKET',
        `packet at byte ${offset}: header is not 4 hex digits (bytes ${hexDump(header)})`,
      );
    }
    const size = parseInt(headerText, 16);
    if (size < HEADER + 2 || offset + size > bytes.length) {
      throw new TokenFormatError(
        'T_PACKET',
        `packet at byte ${offset}: declared length ${size} does not fit the ${bytes.length - offset} bytes left`,
      );
    }
    const packet = bytes.subarray(offset + HEADER, offset + size);
    if (packet[packet.length - 1] !== 0x0a)
      throw new TokenFormatError('T_PACKET', `packet at byte ${offset} does not end with a newline`);
    const space = packet.indexOf(0x20);
    if (space <= 0) throw new TokenFormatError('T_PACKET', `packet at byte ${offset} has no "key value" separator`);
    packets.push({
      key: packet.subarray(0, space).toString('latin1'),
      value: packet.subarray(space + 1, packet.length - 1),
      offset,
    });
    offset += size;
  }
  return packets;
}

/** Reads packets in the only order V1 allows; anything else is `T_FIELD`. */
class PacketReader {
  private i = 0;
  constructor(private readonly packets: readonly Packet[]) {}

  peekKey(): string | undefined {
    return this.packets[this.i]?.key;
  }

  take(key: string): Uint8Array {
    const p = this.packets[this.i];
    if (p === undefined) throw new TokenFormatError('T_FIELD', `the ${key} packet is missing`);
    if (p.key !== key)
      throw new TokenFormatError('T_FIELD', `packet at byte ${p.offset}: expected "${key}", found "${p.key}"`);
    this.i++;
    return p.value;
  }

  takeOptional(key: string): Uint8Array | undefined {
    return this.peekKey() === key ? this.take(key) : undefined;
  }

  get done(): boolean {
    return this.i >= this.packets.length;
  }
}

const str = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function readCaveat(r: PacketReader): Caveat {
  const caveat: Caveat = { cid: str(r.take('cid')) };
  const vid = r.takeOptional('vid');
  if (vid !== undefined) caveat.vid = new Uint8Array(vid);
  const cl = r.takeOptional('cl');
  if (cl !== undefined) caveat.cl = str(cl);
  return caveat;
}

export function decodeV1(bytes: Buffer): Macaroon {
  if (bytes.length === 0) throw new TokenFormatError('T_PACKET', 'the token decodes to no bytes');
  const r = new PacketReader(splitPackets(bytes));
  const location = str(r.take('location'));
  const identifier = str(r.take('identifier'));
  const caveats: Caveat[] = [];
  while (r.peekKey() === 'cid') caveats.push(readCaveat(r));
  const signature = new Uint8Array(r.take('signature'));
  if (!r.done) throw new TokenFormatError('T_FIELD', `unexpected "${r.peekKey() ?? ''}" packet after the signature`);
  if (signature.length !== SIGNATURE_BYTES) {
    throw new TokenFormatError(
      'T_SIGNATURE_LENGTH',
      `signature is ${signature.length} bytes; HMAC-SHA256 gives ${SIGNATURE_BYTES}`,
    );
  }
  if (location === '') throw new TokenFormatError('T_FIELD', 'location is empty');
  if (identifier === '') throw new TokenFormatError('T_FIELD', 'identifier is empty');
  return { location, identifier, caveats, signature };
}

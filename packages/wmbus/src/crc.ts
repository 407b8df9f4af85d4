/**
 * CRC-16 of EN 13757-4 (polynomial 0x3D65, init 0, no reflection, final XOR 0xFFFF). Used for
 * the link-layer block CRCs (frame formats A and B), the ELL payload CRC and compact-frame
 * format signatures (EN 13757-3). Table-driven: it runs once per block of every telegram.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x3d65) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16En13757(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc ^ 0xffff;
}

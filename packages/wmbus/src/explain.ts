/**
 * The byte-by-byte account behind `smgw wmbus decode --explain` (like `wmbusmeters --analyze`).
 * Each layer appends what it consumed, in order. Decrypted bytes are accounted for after the
 * ciphertext that produced them, so the account reads top to bottom like the telegram.
 */
export interface ExplainEntry {
  /** Layer name: 'dll', 'ell', 'afl', 'tpl', 'apl', 'driver'. */
  readonly layer: string;
  /** Offset in the bytes that layer was working on (the frame, or a decrypted payload). */
  readonly offset: number;
  /** The bytes, upper-case hex. */
  readonly hex: string;
  /** What they mean, in words. */
  readonly text: string;
}

export type Explain = ExplainEntry[];

/**
 * A small bounded cache of pure functions of bytes: the same certificates, public keys, names
 * and OIDs come back in every container, and reading or importing them again cost more than the
 * curve arithmetic of a seal or an open (docs/benchmarks-security.md). Keyed by the bytes
 * themselves (not by the Uint8Array object), so a caller that reuses and changes an array never
 * gets a stale answer, and bytes received in a container hit the entry of the equal bytes the
 * caller pinned. Only successful results are stored: a failure is computed again, so its error
 * (code, message, cause) is exactly what the uncached code throws. Least recently used entries
 * go first; inputs longer than `maxKeyBytes` are not cached at all.
 */
export class BytesCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;
  readonly #maxKeyBytes: number;

  constructor(capacity: number, maxKeyBytes: number) {
    this.#capacity = capacity;
    this.#maxKeyBytes = maxKeyBytes;
  }

  /** The cached value for `bytes`, or `compute()` (stored when it returns). */
  get(bytes: Uint8Array, compute: () => V): V {
    if (bytes.length > this.#maxKeyBytes) return compute();
    // latin1 maps each byte to one UTF-16 code unit: a lossless, cheap string key.
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (this.#entries.has(key)) {
      const hit = this.#entries.get(key) as V;
      this.#entries.delete(key); // re-insert: Map order is the recency order
      this.#entries.set(key, hit);
      return hit;
    }
    const value = compute();
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    return value;
  }
}

/**
 * Deterministic randomness for the simulators: the same seed gives the same curves, keys and
 * jitter on every run, so a test or benchmark can be repeated byte for byte. Not for secrets
 * (the example-config keys come from node:crypto).
 */
import { DevicesError } from './errors.js';

/** Checks a seed: an unsigned 32-bit integer. */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', `seed must be an integer in 0..2^32-1, got ${seed}`);
  }
  return seed >>> 0;
}

/** One 32-bit avalanche step (the finaliser of MurmurHash3). */
function mix32(h: number): number {
  let x = h >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A stateless uniform number in [0, 1) for (seed, stream, index): noise that depends only on
 * where in time it is asked for, not on how often it was asked before.
 */
export function hashUnit(seed: number, stream: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 0x1_0000_0000) >>> 0;
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(stream + 1, 0x27d4eb2f));
  h = mix32(h ^ lo);
  h = mix32(h ^ Math.imul(hi + 1, 0x165667b1));
  return h / 0x1_0000_0000;
}

/** mulberry32: a small, fast sequence generator. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = checkSeed(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

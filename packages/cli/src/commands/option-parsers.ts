/** Option parsers shared by the `smgw` commands (commander turns their errors into exit code 2). */
import { InvalidArgumentError } from 'commander';

/** A whole number from 1 to `max`, written as plain digits. */
export function positiveInteger(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not a whole number in 1..${max}`);
    }
    return n;
  };
}

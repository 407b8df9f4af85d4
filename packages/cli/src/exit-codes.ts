/**
 * Exit codes of the `smgw` command, stable for scripts:
 *  0  success (and for `--jsonl` streams: always, even when single telegrams fail)
 *  1  the input could not be decoded, or a check failed
 *  2  usage error (unknown option, bad argument)
 *  3  an input file could not be read
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, io: 3 } as const;

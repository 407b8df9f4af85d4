// One timed benchmark row, shared by bench/security.mjs and bench/security-tls-handshakes.mjs (a
// module, not a bench to run on its own): `fn` runs one call after another for about `seconds`,
// after a warm-up (JIT, ASN.1 schema caches, a session to resume) for a quarter of that time and
// at least `minWarmup` calls. `fn(counted)` is told whether the call is counted. CPU ms per op is
// the user+system CPU of the whole process, the better number on a busy machine.
export async function measure(fn, seconds, minWarmup = 3) {
  const warm = performance.now();
  for (let i = 0; i < minWarmup || performance.now() - warm < seconds * 250; i++) await fn(false);
  const budget = seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < budget) {
    await fn(true);
    n++;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    ops: n,
    seconds: Number((ms / 1000).toFixed(3)),
    perSecond: Number(((n * 1000) / ms).toFixed(1)),
    meanMs: Number((ms / n).toFixed(3)),
    cpuMsPerOp: Number(((cpu.user + cpu.system) / 1000 / n).toFixed(3)),
  };
}

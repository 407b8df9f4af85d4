/**
 * How `smgw headend emt serve` and `smgw headend gwa serve` run: start the server, wait for
 * SIGINT/SIGTERM, close it. The handlers go in before the server starts, so a signal while it
 * starts stops it once it is up instead of killing the process half-open.
 */
export async function serveUntilSignal(start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  let stopped = (): void => {};
  const stop = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const onSignal = (): void => stopped();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await start();
    await stop;
    await server.close();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

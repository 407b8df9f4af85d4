// The meters' side of bench/gateway-ingest.mjs stage B, in a worker thread (the other core): sends
// frames as UDP datagrams to the gateway's radio port at a paced rate, one datagram per frame,
// with the devices package's UdpRadioSender (what `smgw devices` uses). Not a bench on its own.
//
// workerData: { host, port, rate (frames/s), bytes: SharedArrayBuffer, ends: SharedArrayBuffer
// (Int32 end offset of each frame), from, to (frame indexes) }. Posts { sent, errors, seconds }.
import { parentPort, workerData } from 'node:worker_threads';
import { UdpRadioSender } from '@opensmgw/devices';

const { host, port, rate, from, to } = workerData;
const bytes = new Uint8Array(workerData.bytes);
const ends = new Int32Array(workerData.ends);
const frameAt = (i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]);

const radio = new UdpRadioSender({ host, port });
let sent = 0;
let errors = 0;
let inFlight = 0;
const t0 = performance.now();
let next = from;

// Every millisecond or so, send what is due by now: frames spread evenly over time, as a fleet's
// transmissions are (no bursts beyond one timer tick).
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(to, from + Math.floor(((performance.now() - t0) * rate) / 1000));
    for (; next < due; next++) {
      inFlight++;
      radio.send(frameAt(next)).then(
        () => {
          sent++;
          inFlight--;
        },
        () => {
          errors++;
          inFlight--;
        },
      );
    }
    if (next < to) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
while (inFlight > 0) await new Promise((r) => setImmediate(r));
const seconds = (performance.now() - t0) / 1000;
await radio.close();
parentPort.postMessage({ sent, errors, seconds });

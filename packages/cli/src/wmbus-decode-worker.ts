/**
 * A decode worker of `smgw wmbus decode --jsonl --workers N`: answers batches of request lines
 * with its own per-meter state. The main thread routes each meter to one worker (shardOf).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DecoderState } from '@opensmgw/wmbus';
import { answerRequest, type RequestOptions } from './wmbus-requests.js';

const options = workerData as RequestOptions;
const state = new DecoderState();

parentPort?.on('message', (msg: { id: number; lines: string[] }) => {
  const answers = msg.lines.map((line) => answerRequest(line, state, options));
  parentPort?.postMessage({ id: msg.id, answers });
});

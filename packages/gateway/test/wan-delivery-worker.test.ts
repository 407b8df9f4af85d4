import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import type { CommunicationProfile } from '@opensmgw/protocol';
import { openContainer } from '@opensmgw/security';
import { backoffDelay, DeliveryWorker } from '../src/wan/delivery-worker.js';
import { WanHttpsClient } from '../src/wan/https-client.js';
import type { WanIdentity } from '../src/wan/wan-identity.js';
import { FakeWanStore, RecordingEventLog } from './fixtures/wan-fakes.js';
import {
  type Handler,
  makeWanPki,
  openGatewayIdentity,
  startWanServer,
  type TestServer,
  type WanPki,
} from './fixtures/wan-pki.js';

const RETRY = { initialDelayMs: 1000, maxDelayMs: 4000 };

/** An EMT on the wire: opens each container, keeps messages by ID, answers 201 / 200 (duplicate). */
class FakeEmt {
  mode: 'up' | 'down' | 'lose-answer' = 'up';
  readonly stored: { id: string; payload: string }[] = [];
  readonly posts: string[] = [];
  constructor(
    private readonly pki: WanPki,
    private readonly sender: () => Uint8Array,
  ) {}

  handler: Handler = (req, body, res) => {
    const id = String(req.headers['x-opensmgw-message-id']);
    this.posts.push(id);
    if (
      req.method !== 'POST' ||
      req.url !== '/emt/v1/containers' ||
      req.headers['content-type'] !== 'application/cms'
    ) {
      res.writeHead(400);
      res.end();
      return;
    }
    if (this.mode === 'down') {
      res.writeHead(503);
      res.end();
      return;
    }
    void openContainer(new Uint8Array(body), {
      recipient: { module: this.pki.emt.module, slot: 'wan-enc', certificate: this.pki.emt.encDer },
      trustedSenders: [this.sender()],
    }).then(
      (opened) => {
        const duplicate = this.stored.some((s) => s.id === id);
        if (!duplicate) this.stored.push({ id, payload: Buffer.from(opened.payload).toString() });
        if (this.mode === 'lose-answer') {
          this.mode = 'up';
          res.socket?.destroy();
          return;
        }
        res.writeHead(duplicate ? 200 : 201);
        res.end();
      },
      () => {
        res.writeHead(400);
        res.end();
      },
    );
  };
}

describe('DeliveryWorker', () => {
  let pki: WanPki;
  let server: TestServer;
  let emt: FakeEmt;
  let clock: FakeClock;
  let store: FakeWanStore;
  let events: RecordingEventLog;
  let identity: WanIdentity;
  let profiles: Map<string, CommunicationProfile>;
  let worker: DeliveryWorker;

  const profile = (over: Partial<CommunicationProfile> = {}): CommunicationProfile => ({
    id: 'emt-1',
    url: server.url,
    servername: 'emt-1.opensmgw.test',
    tlsCertificatePem: pki.emt.tlsPem,
    encryptionCertificatePem: pki.emt.encPem,
    retry: RETRY,
    ...over,
  });
  const enqueue = (ids: string[], recipientId = 'emt-1'): void => {
    for (const messageId of ids) {
      store.enqueue({
        messageId,
        recipientId,
        evaluationProfileId: 'taf7-1',
        payload: new TextEncoder().encode(`{"messageId":"${messageId}"}`),
        createdMs: clock.now(),
      });
    }
  };
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await worker.idle();
  };

  before(async () => {
    pki = await makeWanPki();
    clock = new FakeClock(Date.now());
    emt = new FakeEmt(pki, () => identity.certificate('sig'));
    server = await startWanServer(pki.emt, pki.smPkiTrust(), clock, (q, b, r) => emt.handler(q, b, r));
  });
  after(async () => {
    await server?.close();
    await pki?.close();
  });
  beforeEach(async () => {
    emt.mode = 'up';
    emt.stored.length = 0;
    emt.posts.length = 0;
    store = new FakeWanStore();
    events = new RecordingEventLog();
    identity = await openGatewayIdentity(pki, store, clock);
    profiles = new Map([['emt-1', profile()]]);
    worker = new DeliveryWorker({
      store,
      client: new WanHttpsClient({ identity, trust: pki.smPkiTrust(), clock }),
      identity,
      clock,
      events,
      communicationProfile: (id) => profiles.get(id),
    });
  });

  it('seals and delivers queued messages in queue order', async () => {
    enqueue(['m1', 'm2', 'm3']);
    worker.start();
    await worker.idle();
    assert.deepEqual(
      emt.stored.map((s) => [s.id, s.payload]),
      [
        ['m1', '{"messageId":"m1"}'],
        ['m2', '{"messageId":"m2"}'],
        ['m3', '{"messageId":"m3"}'],
      ],
    );
    assert.equal(store.queueLength(), 0);
    assert.deepEqual(
      store.delivered.map((d) => d.messageId),
      ['m1', 'm2', 'm3'],
    );
    enqueue(['m4']);
    worker.kick();
    await worker.idle();
    assert.deepEqual(
      emt.stored.map((s) => s.id),
      ['m1', 'm2', 'm3', 'm4'],
    );
    await worker.stop();
  });

  it('retries with exponential backoff while the EMT is down, nothing overtakes, then delivers all in order', async () => {
    enqueue(['m1', 'm2', 'm3']);
    emt.mode = 'down';
    worker.start();
    await worker.idle();
    const delays: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const head = store.queue[0];
      assert.equal(head?.messageId, 'm1');
      assert.equal(head?.attempts, i + 1);
      const delay = (head?.nextAttemptMs ?? 0) - clock.now();
      delays.push(delay);
      assert.match(head?.lastError ?? '', /SMGW_WAN_BAD_RESPONSE/);
      await advance(delay - 1);
      assert.equal(store.queue[0]?.attempts, i + 1, 'no attempt before the due time');
      await advance(1);
    }
    // initial 1000 doubling up to 4000, each with at most 10 % jitter taken off.
    const expected = [1000, 2000, 4000, 4000];
    delays.forEach((d, i) => {
      const e = expected[i] as number;
      assert.ok(d <= e && d >= e * 0.9, `delay ${i}: ${d} for ${e}`);
    });
    assert.deepEqual(emt.posts, ['m1', 'm1', 'm1', 'm1', 'm1'], 'm2 and m3 never overtake m1');
    assert.equal(events.events('WAN_DELIVERY_FAILED').length, 5);
    assert.equal(events.events('WAN_DELIVERY_FAILED')[0]?.subject, 'emt-1');

    emt.mode = 'up';
    await advance(4000);
    assert.deepEqual(
      emt.stored.map((s) => s.id),
      ['m1', 'm2', 'm3'],
    );
    assert.equal(store.queueLength(), 0);
    await worker.stop();
    const posted = emt.posts.length;
    enqueue(['m4']);
    await advance(120_000);
    assert.equal(emt.posts.length, posted, 'a stopped worker sends nothing');
  });

  it('marks a message delivered when the EMT answers 200 for a duplicate (its first answer was lost)', async () => {
    enqueue(['m1', 'm2']);
    emt.mode = 'lose-answer';
    worker.start();
    await worker.idle();
    assert.equal(store.queue[0]?.messageId, 'm1');
    assert.match(store.queue[0]?.lastError ?? '', /SMGW_WAN_UNREACHABLE/);
    await advance(1000);
    assert.deepEqual(emt.posts, ['m1', 'm1', 'm2']);
    assert.deepEqual(
      emt.stored.map((s) => s.id),
      ['m1', 'm2'],
      'stored once',
    );
    assert.equal(store.queueLength(), 0);
    await worker.stop();
  });

  it('refuses an EMT that is not the pinned one of the communication profile', async () => {
    profiles.set('emt-1', profile({ tlsCertificatePem: pki.emt2.tlsPem }));
    enqueue(['m1']);
    worker.start();
    await worker.idle();
    assert.deepEqual(emt.posts, [], 'nothing sent to the wrong server');
    assert.match(store.queue[0]?.lastError ?? '', /SMGW_WAN_PEER_MISMATCH/);
    assert.equal(events.events('WAN_DELIVERY_FAILED').length, 1);
    await worker.stop();
  });

  it('keeps messages for a recipient without communication profile queued while others are delivered', async () => {
    enqueue(['x1'], 'emt-9');
    enqueue(['m1']);
    worker.start();
    await worker.idle();
    assert.deepEqual(
      emt.stored.map((s) => s.id),
      ['m1'],
    );
    assert.equal(store.queueLength('emt-9'), 1);
    assert.equal(store.queue[0]?.attempts, 0);
    assert.deepEqual(
      events.events('WAN_NO_COMMUNICATION_PROFILE').map((e) => e.subject),
      ['emt-9'],
    );
    // The profile arrives; the next pass (idle poll) delivers. (Same EMT server for the test.)
    profiles.set('emt-9', profile({ id: 'emt-9' }));
    await advance(60_000);
    assert.equal(store.queueLength(), 0);
    await worker.stop();
  });

  it('backoffDelay doubles from the initial delay up to the maximum, minus at most 10 % jitter', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10, 1000].map((n) => backoffDelay({ initialDelayMs: 2000, maxDelayMs: 300_000 }, n, 0)),
      [2000, 4000, 8000, 16000, 300_000, 300_000],
    );
    assert.equal(backoffDelay({ initialDelayMs: 2000, maxDelayMs: 300_000 }, 0, 0.99999), 1800);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { FLOW_TABLE, type Flow, FlowControl } from '../src/core/flow-control.js';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { LogSink } from './fixtures/core-fakes.js';

function setup() {
  const sink = new LogSink();
  const events = new RateLimitedEventLog({ store: sink, clock: new FakeClock(0), burst: 100 });
  return { sink, flow: new FlowControl({ events }) };
}

const denied = (code: string) => (e: unknown) => isSmgwError(e) && e.code === code;

describe('FlowControl (PP-0073 FDP_IFF.1/FW, spec §5.1)', () => {
  for (const row of FLOW_TABLE) {
    it(`allows ${row.source} -> ${row.destination} (initiator ${row.initiator}, ${row.data})`, () => {
      const { flow, sink } = setup();
      flow.check(row);
      assert.equal(sink.entries.length, 0);
    });
  }

  const forbidden: Flow[] = [
    // rule 3: no LMN data straight to the WAN or the HAN
    { source: 'lmn', destination: 'wan', initiator: 'lmn', data: 'meter-readings' },
    { source: 'lmn', destination: 'han', initiator: 'lmn', data: 'meter-readings' },
    // rule 1: nothing inbound from the WAN but the wake-up
    { source: 'wan', destination: 'gateway', initiator: 'wan', data: 'administration' },
    { source: 'wan', destination: 'gateway', initiator: 'wan', data: 'deliveries' },
    { source: 'wan', destination: 'lmn', initiator: 'wan', data: 'meter-readings' },
    // the WAN cannot open the CLS channel by itself (HKS4 goes through the GWA and the gateway)
    { source: 'wan', destination: 'han', initiator: 'wan', data: 'cls-proxy' },
    // the HAN cannot reach the LMN or administer the gateway
    { source: 'han', destination: 'lmn', initiator: 'han', data: 'consumer-access' },
    { source: 'han', destination: 'gateway', initiator: 'han', data: 'administration' },
    { source: 'han', destination: 'wan', initiator: 'han', data: 'consumer-access' },
    // wake-up only from the WAN, never the gateway calling out with one
    { source: 'gateway', destination: 'wan', initiator: 'gateway', data: 'wake-up' },
  ];
  for (const f of forbidden) {
    it(`denies ${f.source} -> ${f.destination} (initiator ${f.initiator}, ${f.data}) and logs it`, () => {
      const { flow, sink } = setup();
      assert.throws(() => flow.check(f), denied('SMGW_FLOW_DENIED'));
      assert.deepEqual(sink.events('system'), ['FLOW_DENIED']);
      assert.equal(sink.entries[0]!.subject, `${f.source}->${f.destination}`);
    });
  }

  it('the table is data and cannot be changed at run time', () => {
    assert.ok(Object.isFrozen(FLOW_TABLE));
  });

  describe('checkWanPeer (rule 2)', () => {
    const peers = {
      gwaUrl: 'https://gwa.example:9440',
      communicationProfiles: [
        { id: 'emt-1', url: 'https://127.0.0.1:9443' },
        { id: 'emt-2', url: 'https://emt2.example' },
      ],
    };
    it('allows the GWA of the bootstrap file and EMTs of communication profiles', () => {
      const { flow } = setup();
      assert.deepEqual(flow.checkWanPeer('https://GWA.example:9440/gwa/v1/jobs', peers), { kind: 'gwa' });
      assert.deepEqual(flow.checkWanPeer('https://127.0.0.1:9443/emt/v1/containers', peers), {
        kind: 'emt',
        profileId: 'emt-1',
      });
      assert.deepEqual(flow.checkWanPeer('https://emt2.example:443/x', peers), { kind: 'emt', profileId: 'emt-2' });
    });
    for (const target of [
      'https://gwa.example:9441',
      'http://gwa.example:9440',
      'https://evil.example',
      'https://user:pw@gwa.example:9440',
      'not a url',
      '',
      `https://${'a'.repeat(5000)}`,
    ]) {
      it(`refuses ${JSON.stringify(target.slice(0, 40))}`, () => {
        const { flow, sink } = setup();
        assert.throws(() => flow.checkWanPeer(target, peers), denied('SMGW_FLOW_PEER_DENIED'));
        assert.deepEqual(sink.events('system'), ['FLOW_PEER_DENIED']);
        assert.ok(!sink.entries[0]!.message.includes('pw'));
      });
    }
  });
});

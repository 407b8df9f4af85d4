/**
 * The gateway's operating states (spec notes §11, observed in a certified product; PP-0073
 * FPT_FLS.1 "preservation of secure state"). Several causes can hold at once (time deviation
 * and lost WAN/HAN separation, say), so the machine tracks the set of active conditions and the
 * state is the most restrictive one; each capability is allowed only if every active state
 * allows it. Every transition is a system-log entry.
 */
import type { EventLog } from './event-log.js';

export type OperatingStateName = 'normal' | 'secure-application' | 'secure-measurement' | 'secure-connectivity';

/** What can put the gateway into a secure state (spec notes §11 "Trigger" column). */
export type SecureCondition =
  /** Time deviation > 3 % of the smallest registration period (§5.5). */
  | 'time-deviation'
  /** Measured-value storage at a critical limit (§11). */
  | 'storage-critical'
  /** System time considered invalid, e.g. never synchronised (§5.5). */
  | 'time-invalid'
  /** Self-test found no WAN/HAN separation (§5.1). */
  | 'separation-lost';

export type Capability = 'metering' | 'deliveries' | 'admin' | 'han';

/** The trigger table of spec notes §11, as data. */
export const CONDITION_STATE: Readonly<Record<SecureCondition, OperatingStateName>> = {
  'time-deviation': 'secure-application',
  'storage-critical': 'secure-application',
  'time-invalid': 'secure-measurement',
  'separation-lost': 'secure-connectivity',
};

/** The effect table of spec notes §11, as data. */
export const STATE_ALLOWS: Readonly<Record<OperatingStateName, readonly Capability[]>> = {
  normal: ['metering', 'deliveries', 'admin', 'han'],
  // "Only administrative functions" stay available.
  'secure-application': ['admin'],
  // Values are still captured, but marked (status word 0x200, §7.3); left once time is valid.
  'secure-measurement': ['metering', 'deliveries', 'admin', 'han'],
  // HAN and [HAN]CLS disabled; the GWA is notified over the WAN.
  'secure-connectivity': ['metering', 'deliveries', 'admin'],
};

/** Most restrictive first: the state reported when several conditions hold. */
const PRECEDENCE: readonly OperatingStateName[] = [
  'secure-application',
  'secure-connectivity',
  'secure-measurement',
  'normal',
];

export class OperatingState {
  readonly #events: EventLog;
  readonly #active = new Map<SecureCondition, string>();
  readonly #listeners: ((state: OperatingStateName) => void)[] = [];

  constructor(options: { events: EventLog }) {
    this.#events = options.events;
  }

  get state(): OperatingStateName {
    const states = new Set([...this.#active.keys()].map((c) => CONDITION_STATE[c]));
    return PRECEDENCE.find((s) => states.has(s)) ?? 'normal';
  }

  /** The active conditions with the reason each was entered for. */
  conditions(): ReadonlyMap<SecureCondition, string> {
    return new Map(this.#active);
  }

  has(condition: SecureCondition): boolean {
    return this.#active.has(condition);
  }

  allows(capability: Capability): boolean {
    for (const c of this.#active.keys()) {
      if (!STATE_ALLOWS[CONDITION_STATE[c]].includes(capability)) return false;
    }
    return true;
  }

  /** Raises a condition (idempotent: a condition already active is not logged again). */
  enter(condition: SecureCondition, reason: string): void {
    if (this.#active.has(condition)) return;
    const before = this.state;
    this.#active.set(condition, reason);
    this.#transition('OPSTATE_ENTER', condition, reason, before);
  }

  /** Clears a condition (idempotent). */
  leave(condition: SecureCondition, reason: string): void {
    if (!this.#active.has(condition)) return;
    const before = this.state;
    this.#active.delete(condition);
    this.#transition('OPSTATE_LEAVE', condition, reason, before);
  }

  /** Called after every state change (not on condition changes that keep the state). */
  onChange(listener: (state: OperatingStateName) => void): void {
    this.#listeners.push(listener);
  }

  #transition(event: string, condition: SecureCondition, reason: string, before: OperatingStateName): void {
    const after = this.state;
    const entering = event === 'OPSTATE_ENTER';
    this.#events.record('system', {
      level: entering ? 3 : 1,
      outcome: 0,
      event,
      message: `${entering ? 'condition raised' : 'condition cleared'}: ${condition} (${reason}); state ${before} -> ${after}`,
      subject: condition,
    });
    if (after !== before) for (const l of this.#listeners) l(after);
  }
}

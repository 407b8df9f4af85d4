/**
 * The HAN users (consumers and service technicians, spec notes §9.1) as the GWA set them, kept
 * in the store's small state under one key. Only the Digest HA1 and the client certificate's
 * SHA-256 are stored: the password never reaches the gateway (protocol admin.ts HanAccount).
 *
 * Changing accounts is administration: each change is a system-log entry naming the user ID
 * (an account identifier, not consumer data) and never the credentials.
 */
import { type HanAccount, parseHanAccount } from '@opensmgw/protocol';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore } from '../store/types.js';

export const HAN_ACCOUNTS_STATE_KEY = 'han-accounts';

/** Upper bound on accounts: a gateway serves one household or a few (Modul-2 setups). */
export const MAX_HAN_ACCOUNTS = 256;

type AccountStore = Pick<GatewayStore, 'getState' | 'setState'>;

/**
 * Read access to the accounts. Reads the store on each call (the set is small), so a change by
 * the GWA applies to the next request without a restart.
 */
export class HanAccounts {
  readonly #store: AccountStore;

  constructor(store: AccountStore) {
    this.#store = store;
  }

  /** All accounts; entries that do not validate (a damaged state) are skipped, never trusted. */
  list(): HanAccount[] {
    const raw = this.#store.getState<unknown>(HAN_ACCOUNTS_STATE_KEY);
    if (!Array.isArray(raw)) return [];
    const out: HanAccount[] = [];
    for (const item of raw) {
      try {
        out.push(parseHanAccount(item));
      } catch {
        // skipped: an account that does not validate grants nothing
      }
    }
    return out;
  }

  byUser(userId: string): HanAccount | undefined {
    return this.list().find((a) => a.userId === userId);
  }

  /** The account a TLS client certificate (SHA-256 of its DER, hex) is mapped to. */
  byCertificate(sha256Hex: string): HanAccount | undefined {
    const wanted = sha256Hex.toLowerCase();
    return this.list().find((a) => a.certificateSha256 === wanted);
  }

  /** Creates or replaces the account of `account.userId` (validated again here). */
  put(account: HanAccount): void {
    const valid = parseHanAccount(account);
    const others = this.list().filter((a) => a.userId !== valid.userId);
    if (others.length >= MAX_HAN_ACCOUNTS) throw new RangeError(`at most ${MAX_HAN_ACCOUNTS} HAN accounts`);
    if (valid.certificateSha256 !== undefined && others.some((a) => a.certificateSha256 === valid.certificateSha256)) {
      // One certificate identifies one user; otherwise a login would be ambiguous.
      throw new RangeError('the client certificate is mapped to another HAN account');
    }
    this.#store.setState(HAN_ACCOUNTS_STATE_KEY, [...others, valid]);
  }

  delete(userId: string): boolean {
    const all = this.list();
    const rest = all.filter((a) => a.userId !== userId);
    if (rest.length === all.length) return false;
    this.#store.setState(HAN_ACCOUNTS_STATE_KEY, rest);
    return true;
  }
}

export type HanAccountJob =
  | { readonly type: 'set-han-account'; readonly account: HanAccount }
  | { readonly type: 'delete-han-account'; readonly userId: string };

/**
 * Runs a `set-han-account` / `delete-han-account` admin job (for wan/admin-handlers.ts) and
 * writes the system-log entry. Returns the job's result.
 */
export function applyHanAccountJob(
  job: HanAccountJob,
  accounts: HanAccounts,
  events: EventLog,
): { readonly userId: string; readonly deleted?: boolean } {
  if (job.type === 'set-han-account') {
    accounts.put(job.account);
    events.record('system', {
      level: 1,
      outcome: 0,
      event: 'HAN_ACCOUNT_SET',
      message: `HAN account set (role ${job.account.role})`,
      subject: job.account.userId,
    });
    return { userId: job.account.userId };
  }
  const deleted = accounts.delete(job.userId);
  events.record('system', {
    level: 1,
    outcome: deleted ? 0 : 1,
    event: 'HAN_ACCOUNT_DELETED',
    message: deleted ? 'HAN account deleted' : 'no such HAN account',
    subject: job.userId,
  });
  return { userId: job.userId, deleted };
}

import { ProviderError, ValidationError } from '../errors.js';
import type { CarrierCredentials } from '../engine/telephony-port.js';
import type { CarrierNumber, CarrierNumbers } from './carrier-numbers-port.js';
import { expectedWebhooks, numberFindings, numberUpdate, publicUrlFindings, type ExpectedWebhooks, type Finding } from './line-check.js';
import type { Line, LineInput, LinesService } from './lines-service.js';

/** The number as the carrier has it (the parts a check compares). */
export type NumberSeen = Pick<CarrierNumber, 'sid' | 'voiceUrl' | 'voiceMethod' | 'smsUrl' | 'smsMethod' | 'statusCallback' | 'voiceApplicationSid' | 'smsApplicationSid' | 'trunkSid'>;

/**
 * What Switchboard found about the carrier number behind a line. `ok`: no `error` finding (calls
 * and texts to the number reach this gateway). `changed`: this result follows a set-up that
 * rewrote the number's webhooks.
 */
export type LineCheck = {
  lineId: string;
  phoneNumber: string;
  checkedAt: Date;
  ok: boolean;
  changed: boolean;
  expected: ExpectedWebhooks;
  /** Null when the carrier could not be asked or has no such number. */
  found: NumberSeen | null;
  findings: Finding[];
};

/** A line's number, its provider and carrier credentials (kept in memory only). */
export type LineCarrierRef = { phoneNumber: string; provider: 'twilio' | 'simulator'; credentials: CarrierCredentials | null };

export type LineSetupServiceDeps = {
  lines: Pick<LinesService, 'get' | 'create'>;
  /** The line of the account with its decrypted credentials; NotFoundError if none. */
  carrierOf(accountId: string, lineId: string): Promise<LineCarrierRef>;
  numbers: CarrierNumbers;
  publicUrl: string;
  now?: () => Date;
};

/** A carrier failure, in words, as a finding: a check never fails because the carrier does. */
const carrierFinding = (err: ProviderError, accountSid: string): Finding => {
  if (err.providerStatus === 401 || err.providerCode === '20003') {
    return { code: 'carrier_credentials_refused', severity: 'error', message: `Twilio refused the Account SID ${accountSid} and auth token of this line's carrier connection: check them.` };
  }
  if (err.retryable) {
    return { code: 'carrier_unreachable', severity: 'error', message: `Could not reach Twilio to look the number up (${err.providerCode ?? 'network error'}): nothing was checked; try again later.` };
  }
  return { code: 'carrier_error', severity: 'error', message: `Twilio refused the look-up (${err.providerStatus ?? ''}${err.providerCode ? `, code ${err.providerCode}` : ''}): nothing was checked.` };
};

const seen = (n: CarrierNumber): NumberSeen => ({
  sid: n.sid, voiceUrl: n.voiceUrl, voiceMethod: n.voiceMethod, smsUrl: n.smsUrl, smsMethod: n.smsMethod,
  statusCallback: n.statusCallback, voiceApplicationSid: n.voiceApplicationSid, smsApplicationSid: n.smsApplicationSid, trunkSid: n.trunkSid,
});

const notACarrierLine = (field: string) => ValidationError.field(field, 'simulator lines have no carrier number to check or set up');

/**
 * Checks and sets up the carrier number behind a Twilio line (docs/TWILIO.md). `check` only
 * reads. `configure` changes exactly the line's own number (found by its
 * E.164 number in the line's carrier account, then updated by its SID): voice URL, SMS URL (both
 * POST) and status callback to this gateway's PUBLIC_URL. Carrier failures become findings,
 * never errors; a simulator line is a 400 naming `id` (`configureWebhooks` on create).
 */
export const createLineSetupService = (deps: LineSetupServiceDeps) => {
  const want = expectedWebhooks(deps.publicUrl);
  const now = deps.now ?? (() => new Date());

  const run = async (accountId: string, lineId: string, change: boolean, field = 'id'): Promise<LineCheck> => {
    const line = await deps.carrierOf(accountId, lineId);
    if (line.provider !== 'twilio' || !line.credentials) throw notACarrierLine(field);
    const findings = publicUrlFindings(deps.publicUrl);
    const result = (found: NumberSeen | null, more: Finding[], changed = false): LineCheck => {
      const all = [...findings, ...more];
      return { lineId, phoneNumber: line.phoneNumber, checkedAt: now(), ok: !all.some((f) => f.severity === 'error'), changed, expected: want, found, findings: all };
    };
    try {
      let number = await deps.numbers.findNumber(line.credentials, line.phoneNumber);
      if (!number) {
        return result(null, [{
          code: 'number_not_found', severity: 'error',
          message: `${line.phoneNumber} is not a number of the Twilio account ${line.credentials.accountSid}: buy or port it into that account, or give the line the carrier connection that owns it.`,
        }]);
      }
      const before = numberFindings(number, want);
      const changed = change && before.length > 0;
      if (changed) number = await deps.numbers.updateNumber(line.credentials, number.sid, numberUpdate(want, number));
      return result(seen(number), changed ? numberFindings(number, want) : before, changed);
    } catch (err) {
      if (err instanceof ProviderError) return result(null, [carrierFinding(err, line.credentials.accountSid)]);
      throw err;
    }
  };

  /** Reads the line's number at the carrier and reports what is wrong with it. */
  const check = (accountId: string, lineId: string) => run(accountId, lineId, false);
  /** Points the line's number (and no other) at this gateway, then reports as `check`. */
  const configure = (accountId: string, lineId: string) => run(accountId, lineId, true);

  /**
   * Creates the line, then checks its number (or, with `configureWebhooks`, sets it up). The
   * line is created whatever the check finds; simulator lines get `check: null`.
   */
  const create = async (accountId: string, input: LineInput & { configureWebhooks?: boolean }): Promise<Line & { check: LineCheck | null }> => {
    const { configureWebhooks, ...rest } = input;
    if (configureWebhooks && rest.provider !== 'twilio') throw ValidationError.field('configureWebhooks', 'only twilio lines have webhooks to set up');
    const line = await deps.lines.create(accountId, rest);
    if (line.provider !== 'twilio') return { ...line, check: null };
    return { ...line, check: await run(accountId, line.id, Boolean(configureWebhooks)) };
  };

  return { check, configure, create };
};

export type LineSetupService = ReturnType<typeof createLineSetupService>;

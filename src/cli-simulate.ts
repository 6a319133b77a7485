/**
 * `switchboard simulate call|sms`: plays the carrier against a running gateway — signed
 * webhooks, TwiML followed like Twilio does (routes/softphone/call-player.ts) — and prints the
 * conversation. Part of the CLI (a composition root), so it may import routes/; it ships with the
 * build, unlike the carrier emulator in dev/.
 *
 * Signing: `--auth-token`/`--account-sid` when given; otherwise the line is looked up in the
 * database (DATABASE_URL): a twilio line signs with its carrier connection's token, a simulator
 * line (or an unknown number) with this install's simulator token (derived from SECRET_KEY).
 * Requests go to `--url` (default PUBLIC_URL) and are signed for PUBLIC_URL, as behind a proxy.
 */
import type { Command } from 'commander';
import type { Config } from './config.js';
import { createSecretBox } from './crypto.js';
import { createPool } from './db/db.js';
import { findLineByNumber } from './telephony/lines-repo.js';
import { simulatorCredentials } from './carriers/simulator-credentials.js';
import { fakeSid, messageReplies, playCall, postSigned, type CallEvent, type PlayerTransport } from '../routes/softphone/call-player.js';

type Common = { line: string; from: string; url?: string; accountSid?: string; authToken?: string };

const credentialsFor = async (cfg: Config, o: Common): Promise<{ accountSid: string; authToken: string }> => {
  const sim = simulatorCredentials(cfg.SECRET_KEY);
  if (o.authToken) return { accountSid: o.accountSid ?? sim.accountSid, authToken: o.authToken };
  const db = createPool(cfg.DATABASE_URL, 1);
  try {
    const line = await findLineByNumber(db, o.line);
    if (line?.provider === 'twilio' && line.connectionAccountSid && line.authTokenSealed) {
      return { accountSid: line.connectionAccountSid, authToken: createSecretBox(cfg.SECRET_KEY).open(line.authTokenSealed) };
    }
    return sim;
  } catch {
    return sim; // no database at hand: assume a simulator line
  } finally {
    await db.end().catch(() => undefined);
  }
};

const transportFor = (cfg: Config, o: Common, authToken: string): PlayerTransport => {
  const target = (o.url ?? cfg.PUBLIC_URL).replace(/\/+$/, '');
  return { authToken, resolve: (u) => (u.startsWith(cfg.PUBLIC_URL) ? target + u.slice(cfg.PUBLIC_URL.length) : u) };
};

/** One line of the printed conversation per event. */
export const describeEvent = (e: CallEvent): string | null => {
  switch (e.kind) {
    case 'say': return `  gateway: "${e.text}"`;
    case 'gather': return e.digits ? `  caller presses: ${e.digits}` : '  caller presses nothing';
    case 'record': return e.recorded ? `  (beep) caller leaves a voice message (max ${e.maxLength ?? '?'} s)` : '  (beep) caller stays silent';
    case 'play-digits': return `  gateway plays tones: ${e.digits}`;
    case 'play': return `  gateway plays ${e.url}`;
    case 'dial': return e.conference ? `  caller joins conference "${e.conference}"` : `  gateway dials ${e.number ?? '?'}`;
    case 'hangup': return '  (gateway hangs up)';
    case 'reject': return '  (gateway rejects the call)';
    case 'http-error': return `  gateway answered HTTP ${e.status}: ${e.body.slice(0, 200)}`;
    default: return null;
  }
};

export const registerSimulate = (program: Command, config: () => Config): void => {
  const sim = program.command('simulate').description('play the carrier against a running gateway (signed webhooks) and print the conversation');
  const common = (c: Command) => c
    .requiredOption('--line <number>', 'the Switchboard line called or texted (E.164)')
    .requiredOption('--from <number>', 'the caller / sender (E.164)')
    .option('--url <url>', 'where the gateway listens (default PUBLIC_URL)')
    .option('--account-sid <sid>', 'carrier Account SID to sign as (default: from the line)')
    .option('--auth-token <token>', 'carrier auth token to sign with (default: from the line)');

  common(sim.command('call').description('call a line, key a code, optionally leave a voice message'))
    .option('--keys <digits>', 'keys pressed at successive prompts, e.g. 7377 (or 1111,7377)')
    .option('--say-voicemail', 'leave a voice message when asked')
    .action(async (o: Common & { keys?: string; sayVoicemail?: boolean }) => {
      const cfg = config();
      const creds = await credentialsFor(cfg, o);
      const callSid = fakeSid('CA');
      process.stdout.write(`call ${callSid}: ${o.from} -> ${o.line}\n`);
      const keys = o.keys?.includes(',') ? o.keys.split(',').map((k) => k.trim()) : o.keys;
      const t = await playCall(
        transportFor(cfg, o, creds.authToken),
        `${cfg.PUBLIC_URL}/webhooks/twilio/voice`,
        { CallSid: callSid, AccountSid: creds.accountSid, From: o.from, To: o.line, Caller: o.from, Called: o.line, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' },
        { keys, voicemail: o.sayVoicemail ? { url: `${cfg.PUBLIC_URL}/simulated-recordings/${callSid}.mp3`, durationSeconds: 5 } : false },
      );
      for (const e of t.events) {
        const line = describeEvent(e);
        if (line) process.stdout.write(`${line}\n`);
      }
      process.stdout.write(`call ended: ${t.ended}\n`);
      if (t.ended === 'http-error') process.exitCode = 1;
    });

  common(sim.command('sms').description('text a line and print the reply'))
    .requiredOption('--body <text>', 'the message, e.g. "RESQ help at gate 4"')
    .action(async (o: Common & { body: string }) => {
      const cfg = config();
      const creds = await credentialsFor(cfg, o);
      const sid = fakeSid('SM');
      process.stdout.write(`${o.from} -> ${o.line}: ${o.body}\n`);
      const res = await postSigned(transportFor(cfg, o, creds.authToken), `${cfg.PUBLIC_URL}/webhooks/twilio/sms`, {
        MessageSid: sid, SmsSid: sid, AccountSid: creds.accountSid, From: o.from, To: o.line, Body: o.body, NumMedia: '0', ApiVersion: '2010-04-01',
      });
      if (res.status !== 200) {
        process.stdout.write(`gateway answered HTTP ${res.status}: ${res.body.slice(0, 300)}\n`);
        process.exitCode = 1;
        return;
      }
      const replies = messageReplies(res.body);
      if (replies.length === 0) process.stdout.write('(no reply)\n');
      for (const r of replies) process.stdout.write(`${o.line} -> ${o.from}: ${r}\n`);
    });
};

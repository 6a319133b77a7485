/**
 * What this install and account can deliver right now, so editors offer only what works and say
 * why the rest is off: e-mail needs an SMTP server (SMTP_URL), push a push provider, SMS and
 * voice a line that can reach the carrier, AI text a prompt endpoint. Never contains a secret
 * (no URL, key or host), only yes/no and the words to show.
 */
import { pushProviderOf, type Config } from '../config.js';
import type { Queryable } from '../db/db.js';
import type { CapabilitiesRepo } from './capabilities-repo.js';

/** One capability: `available`, and when not, `reason` in words a dashboard shows as is. */
export type Capability = { available: boolean; reason: string | null };

export type Capabilities = {
  channels: { sms: Capability; email: Capability & { catcher: boolean }; push: Capability & { provider: 'none' | 'simulator' | 'webpush' }; voice: Capability; webhook: Capability };
  prompts: Capability;
  /** Accounts' owner addresses: post-call "e-mail the owners" is skipped without any. */
  ownerEmails: Capability & { count: number };
  /** Per line: can it text and call (a simulator line, or a Twilio line with a carrier connection). */
  lines: Array<{ id: string; phoneNumber: string; mode: 'activation' | 'tracking'; canSend: boolean; reason: string | null }>;
};

export type CapabilitiesDeps = {
  db: Queryable;
  capabilities: Pick<CapabilitiesRepo, 'lineAbilities' | 'ownerEmailCount'>;
  config: Pick<Config, 'SMTP_URL' | 'PUSH_PROVIDER' | 'VAPID_PUBLIC_KEY' | 'PROMPT_API_URL'>;
};

const yes: Capability = { available: true, reason: null };
const no = (reason: string): Capability => ({ available: false, reason });

export const NO_SMTP = 'No SMTP server is configured (SMTP_URL), so e-mail cannot be sent.';
export const NO_PUSH = 'No push provider is configured (PUSH_PROVIDER or VAPID keys), so push notifications cannot be sent.';
export const NO_PROMPTS = 'No prompt endpoint is configured (PROMPT_API_URL).';
const NO_LINE = 'No phone line can reach the carrier: add a line with a carrier connection on the Phone lines page.';
const LINE_UNCONNECTED = 'This line has no carrier connection, so it cannot text or call.';
const NO_OWNERS = 'The account has no owner e-mail addresses (PATCH /v1/account ownerEmails).';

export const createCapabilitiesService = (deps: CapabilitiesDeps) => ({
  async forAccount(accountId: string): Promise<Capabilities> {
    const { config } = deps;
    const [lines, owners] = await Promise.all([deps.capabilities.lineAbilities(deps.db, accountId), deps.capabilities.ownerEmailCount(deps.db, accountId)]);
    const sending = lines.some((l) => l.connected) ? yes : no(NO_LINE);
    const provider = pushProviderOf(config);
    return {
      channels: {
        sms: sending,
        voice: sending,
        email: { ...(config.SMTP_URL ? yes : no(NO_SMTP)), catcher: config.SMTP_URL === 'catcher' },
        push: { ...(provider === 'none' ? no(NO_PUSH) : yes), provider },
        webhook: yes,
      },
      prompts: config.PROMPT_API_URL ? yes : no(NO_PROMPTS),
      ownerEmails: { ...(owners > 0 ? yes : no(NO_OWNERS)), count: owners },
      lines: lines.map((l) => ({ id: l.id, phoneNumber: l.phoneNumber, mode: l.mode, canSend: l.connected, reason: l.connected ? null : LINE_UNCONNECTED })),
    };
  },
});
export type CapabilitiesService = ReturnType<typeof createCapabilitiesService>;

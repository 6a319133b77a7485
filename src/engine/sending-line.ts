/**
 * Which line sends: the one rule every feature's text or call follows to pick the line it goes
 * out on (workflow activations and conference retries in the planner, rules, sequences, call
 * tracking). Pure: it chooses among lines already loaded (sending-lines-repo.ts loads them).
 *
 * 1. The line **named** (an action's, a sequence step's or the sequence's own line), if it is one
 *    of the account's lines. A named line that is not (deleted, or another account's) gives no
 *    line at all — never another number in its place: the caller skips the send (`no_line`,
 *    `no_sending_line`).
 * 2. Else the first **preferred** line the caller passes that is the account's: the line the
 *    event came in on (rules), the tracking line the caller rang (call tracking), the workflow's
 *    code line (workflow activations). A preferred line that is gone is passed over.
 * 3. Else the account's **oldest activation-mode line**.
 * 4. Else the account's **oldest line of any mode** (an account with only tracking lines).
 *
 * "Oldest" is by `created_at`, then by id (two lines created in one transaction). No line: null.
 */

/** A line as the rule sees it. */
export type LineCandidate = {
  id: string;
  mode: string;
  /** `created_at` in microseconds since the epoch (a Date keeps only milliseconds: two lines could tie and swap). */
  createdAtMicros: number;
};

/** What the caller asks for: the line it names, else the lines it prefers, in order. */
export type LineRequest = {
  named?: string | null;
  preferred?: ReadonlyArray<string | null | undefined>;
};

const older = (a: LineCandidate, b: LineCandidate): boolean =>
  a.createdAtMicros < b.createdAtMicros || (a.createdAtMicros === b.createdAtMicros && a.id < b.id);

const oldest = <L extends LineCandidate>(lines: readonly L[]): L | null =>
  lines.reduce<L | null>((best, l) => (best === null || older(l, best) ? l : best), null);

/** The line a send goes out on among the account's `lines` (any order), by the rule above; null when none. */
export const chooseSendingLine = <L extends LineCandidate>(lines: readonly L[], req: LineRequest): L | null => {
  const byId = (id: string) => lines.find((l) => l.id === id) ?? null;
  if (req.named) return byId(req.named);
  for (const id of req.preferred ?? []) {
    const found = id ? byId(id) : null;
    if (found) return found;
  }
  return oldest(lines.filter((l) => l.mode === 'activation')) ?? oldest(lines);
};

/** The ids a request names or prefers: the lines to load besides the account's oldest ones. */
export const requestedLineIds = (req: LineRequest): string[] =>
  req.named ? [req.named] : (req.preferred ?? []).filter((id): id is string => Boolean(id));

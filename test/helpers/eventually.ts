/**
 * The one polling helper of the tests: waits for something that happens asynchronously (a worker,
 * a carrier callback, a page update) without guessing how long it takes.
 */

/**
 * Calls `fn` every 50 ms until it returns a truthy value, and returns that value. Fails with
 * "timed out waiting for <what>" after `timeoutMs`. An error thrown by `fn` fails at once.
 * To prove that nothing more happens, wait for `drained` (test/helpers/drained.ts) instead.
 */
type Maybe<T> = T | null | undefined | false;

export const eventually = async <T>(fn: () => Promise<Maybe<T>> | Maybe<T>, what: string, timeoutMs = 15_000): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

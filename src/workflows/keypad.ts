/** The ITU E.161 keypad: letters to the digit they share a key with. */
const KEYS: Record<string, string> = {
  A: '2', B: '2', C: '2', D: '3', E: '3', F: '3', G: '4', H: '4', I: '4', J: '5', K: '5', L: '5',
  M: '6', N: '6', O: '6', P: '7', Q: '7', R: '7', S: '7', T: '8', U: '8', V: '8', W: '9', X: '9',
  Y: '9', Z: '9',
};

/** `RESQ` -> `7377`; digits stay digits. Input must already be A–Z/0–9. */
export const toKeypadDigits = (code: string): string =>
  [...code.toUpperCase()].map((c) => (c >= '0' && c <= '9' ? c : KEYS[c] ?? '')).join('');

/** Normalises a typed code: trims, upper-cases; returns null if it is not 4 × [A-Z0-9]. */
export const normaliseCode = (raw: string): string | null => {
  const c = raw.trim().toUpperCase();
  return /^[A-Z0-9]{4}$/.test(c) ? c : null;
};

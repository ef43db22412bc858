// The command clock. Like Redis's cached mstime, it is read once per command so that a command,
// a MULTI block or a script sees one "now" and a key cannot expire halfway through it.

let cached = Date.now();
let frozen = false;

/** Milliseconds since the epoch as of the current command. */
export function now(): number {
  return cached;
}

/** Refreshes the clock unless a transaction or script holds it still. */
export function tick(): number {
  if (!frozen) cached = Date.now();
  return cached;
}

/** Holds the clock still while `fn` runs (EXEC, scripts). */
export function frozenDuring<T>(fn: () => T): T {
  if (frozen) return fn();
  cached = Date.now();
  frozen = true;
  try {
    return fn();
  } finally {
    frozen = false;
  }
}

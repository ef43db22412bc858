// The command clock. Like Redis's cached mstime, it is read once per command so that a command,
// a MULTI block or a script sees one "now" and a key cannot expire halfway through it.

let cached = Date.now();
let frozen = false;
/** Date.now() - performance.now(): lets one monotonic read serve both timing and the clock. */
let offset = Date.now() - performance.now();

/** Milliseconds since the epoch as of the current command. */
export function now(): number {
  return cached;
}

/** Refreshes the clock unless a transaction or script holds it still. */
export function tick(): number {
  if (!frozen) cached = Date.now();
  return cached;
}

/**
 * tick() for callers that already read performance.now() (the dispatcher times every command):
 * saves a second clock read on the hot path. resync() keeps it aligned with the wall clock.
 */
export function tickAt(perfNow: number): number {
  if (!frozen) cached = Math.floor(offset + perfNow);
  return cached;
}

/** Re-aligns tickAt with the wall clock (called once a second; NTP may step the clock). */
export function resync(): void {
  offset = Date.now() - performance.now();
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

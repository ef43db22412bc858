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

/**
 * Every refresh goes through here, from the one monotonic source (offset + performance.now()):
 * mixing it with Date.now() let the clock step back a millisecond or two between commands, so a
 * PTTL right after SET EX 3 inside EXEC read 3001. Small backward steps (resync rounding) are
 * held; a real step back of the wall clock (over a second) is followed.
 */
function advance(t: number): number {
  if (t >= cached || cached - t > 1000) cached = t;
  return cached;
}

/** Refreshes the clock unless a transaction or script holds it still. */
export function tick(): number {
  return frozen ? cached : advance(Math.floor(offset + performance.now()));
}

/**
 * tick() for callers that already read performance.now() (the dispatcher times every command):
 * saves a second clock read on the hot path. resync() keeps it aligned with the wall clock.
 */
export function tickAt(perfNow: number): number {
  return frozen ? cached : advance(Math.floor(offset + perfNow));
}

/** Re-aligns tickAt with the wall clock (called once a second; NTP may step the clock). */
export function resync(): void {
  offset = Date.now() - performance.now();
}

/** Holds the clock still while `fn` runs (EXEC, scripts). */
export function frozenDuring<T>(fn: () => T): T {
  if (frozen) return fn();
  tick();
  frozen = true;
  try {
    return fn();
  } finally {
    frozen = false;
  }
}

/**
 * Holds the clock at `t` while `fn` runs: a script resumed after it was suspended sees the time
 * it started with. Afterwards the clock reads what it read before.
 */
export function frozenAt<T>(t: number, fn: () => T): T {
  if (frozen) return fn();
  const before = cached;
  cached = t;
  frozen = true;
  try {
    return fn();
  } finally {
    frozen = false;
    cached = before;
  }
}

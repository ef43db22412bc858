// The command clock. Like Redis's cached mstime, it is read once per command so that a command,
// a MULTI block or a script sees one "now" and a key cannot expire halfway through it. Each
// server owns one (store/context.ts); two servers in one process keep their own time.

export class Clock {
  private cached = Date.now();
  private frozen = false;
  /** Date.now() - performance.now(): MONITOR's microsecond stamps from the monotonic clock. */
  private offset = Date.now() - performance.now();

  /** Milliseconds since the epoch as of the current command. */
  now(): number {
    return this.cached;
  }

  /**
   * Every refresh goes through here, from the one source Redis reads too: the wall clock in whole
   * milliseconds (Date.now()). A time derived from performance.now() and an offset trailed it by
   * up to a millisecond (the offset is measured in whole milliseconds), so a PTTL right after a
   * client's PXAT of "its now + 10 s" could read 10001. Small backward steps (a wall-clock
   * adjustment) are held, so a command never sees time run back; a real step back of over a second
   * is followed.
   */
  private advance(t: number): number {
    if (t >= this.cached || this.cached - t > 1000) this.cached = t;
    return this.cached;
  }

  /** Refreshes the clock unless a transaction or script holds it still. */
  tick(): number {
    return this.frozen ? this.cached : this.advance(Date.now());
  }

  /** The wall clock now, in whole microseconds (not the command's cached time): MONITOR's stamps. */
  wallMicros(): number {
    return Math.floor((this.offset + performance.now()) * 1000);
  }

  /** Re-aligns wallMicros with the wall clock (called once a second; NTP may step the clock). */
  resync(): void {
    this.offset = Date.now() - performance.now();
  }

  /** Holds the clock still while `fn` runs (EXEC). */
  frozenDuring<T>(fn: () => T): T {
    const thaw = this.freeze();
    try {
      return fn();
    } finally {
      if (thaw) this.thaw();
    }
  }

  /**
   * frozenDuring without a closure (scripts, on every call): holds the clock still until thaw(),
   * which is the caller's to call if and only if this returned true (it was not frozen already).
   */
  freeze(): boolean {
    if (this.frozen) return false;
    this.tick();
    this.frozen = true;
    return true;
  }

  thaw(): void {
    this.frozen = false;
  }

  /**
   * Holds the clock at `t` while `fn` runs: a script resumed after it was suspended sees the time
   * it started with. Afterwards the clock reads what it read before.
   */
  frozenAt<T>(t: number, fn: () => T): T {
    if (this.frozen) return fn();
    const before = this.cached;
    this.cached = t;
    this.frozen = true;
    try {
      return fn();
    } finally {
      this.frozen = false;
      this.cached = before;
    }
  }
}

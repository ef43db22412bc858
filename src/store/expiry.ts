// The active expiry cycle: between commands, walk each database's expires Map with a cursor that
// survives across runs and delete keys whose time has passed, stopping when the time budget is
// spent (Redis's activeExpireCycle, with an iterator instead of random sampling).

import type { Database } from './database.js';
import type { Clock } from './clock.js';

/** How many keys are checked between two looks at the clock. */
const BATCH = 64;

export class ActiveExpiry {
  private cursors = new WeakMap<Map<string, number>, Iterator<[string, number]>>();
  private nextDb = 0;
  /** Times a cycle stopped because it ran out of budget (INFO expired_time_cap_reached_count). */
  timeCapReached = 0;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off, so tests can watch lazy expiry alone. */
  enabled = true;

  constructor(private readonly clock: Clock) {}

  /** Runs for at most `budgetMs`; returns how many keys it removed. */
  run(dbs: readonly Database[], budgetMs: number): number {
    if (!this.enabled) return 0;
    const deadline = performance.now() + budgetMs;
    let removed = 0;
    const now = this.clock.tick();
    for (let visited = 0; visited < dbs.length; visited++) {
      const db = dbs[this.nextDb];
      this.nextDb = (this.nextDb + 1) % dbs.length;
      if (db === undefined || db.expires.size === 0) continue;
      let it = this.cursors.get(db.expires);
      if (!it) {
        it = db.expires.entries();
        this.cursors.set(db.expires, it);
      }
      for (;;) {
        let finished = false;
        for (let i = 0; i < BATCH; i++) {
          const next = it.next();
          if (next.done) {
            finished = true;
            break;
          }
          const [key, at] = next.value;
          if (at <= now && db.expireIfNeeded(key)) removed++;
        }
        if (finished) {
          this.cursors.delete(db.expires);
          break;
        }
        if (performance.now() > deadline) {
          this.timeCapReached++;
          return removed;
        }
      }
    }
    return removed;
  }
}

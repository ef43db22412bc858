// ACL LOG: the most recent denials (commands, keys, channels, failed AUTH), newest first.
// Identical denials within 60 seconds merge into one entry with a count, as Redis does, so a
// client hammering a refused command cannot flush the log of everything else.

export type DenialReason = 'command' | 'key' | 'channel' | 'auth';
export type DenialContext = 'toplevel' | 'multi' | 'lua' | 'module';

export interface AclLogEntry {
  count: number;
  readonly reason: DenialReason;
  readonly context: DenialContext;
  readonly object: string;
  readonly username: string;
  /** ms since the epoch of the latest occurrence. */
  time: number;
  clientInfo: string;
}

/** Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA. */
const GROUPING_MS = 60000;
/** Redis looks at most this many recent entries for one to merge with. */
const SCAN = 10;

export class AclLog {
  entries: AclLogEntry[] = [];

  add(entry: Omit<AclLogEntry, 'count'>, maxLen: number): void {
    const n = Math.min(SCAN, this.entries.length);
    for (let i = 0; i < n; i++) {
      const e = this.entries[i];
      if (e === undefined) break;
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.time - entry.time) <= GROUPING_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        this.entries.splice(i, 1);
        e.count++;
        e.time = entry.time;
        e.clientInfo = entry.clientInfo;
        this.entries.unshift(e);
        return;
      }
    }
    this.entries.unshift({ count: 1, ...entry });
    if (this.entries.length > maxLen) this.entries.length = Math.max(0, maxLen);
  }

  reset(): void {
    this.entries = [];
  }
}

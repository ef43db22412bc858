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
  /** ms since the epoch of the latest occurrence (Redis 7.2's timestamp-last-updated). */
  time: number;
  clientInfo: string;
  /** Redis 7.2: the log's count of entries created before this one (with created, a unique id). */
  readonly entryId: number;
  /** ms since the epoch of the first occurrence (timestamp-created). */
  readonly created: number;
}

/** Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA. */
const GROUPING_MS = 60000;
/** Redis looks at most this many recent entries for one to merge with. */
const SCAN = 10;

/** Denials of each kind since the server started (INFO acl_access_denied_*; CONFIG RESETSTAT keeps them, as Redis 7.2). */
export interface DenialCounts {
  auth: number;
  command: number;
  key: number;
  channel: number;
}

export class AclLog {
  entries: AclLogEntry[] = [];
  /** Entries created so far, never reset (ACL LOG RESET keeps the ids going, as Redis). */
  private created = 0;
  readonly denied: DenialCounts = { auth: 0, command: 0, key: 0, channel: 0 };

  add(entry: Omit<AclLogEntry, 'count' | 'entryId' | 'created'>, maxLen: number): void {
    this.denied[entry.reason]++;
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
    this.entries.unshift({ count: 1, ...entry, entryId: this.created++, created: entry.time });
    if (this.entries.length > maxLen) this.entries.length = Math.max(0, maxLen);
  }

  reset(): void {
    this.entries = [];
  }
}

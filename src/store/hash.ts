// Hash values: field → value in a Map, whose insertion order is exactly the order of Redis's
// listpack (a new field goes to the end, an update keeps its place, HDEL then HSET re-appends).
// The encoding Redis would report is tracked alongside and, as in Redis, never goes back.
// Fields may carry a time to live (Redis 7.4's hash-field expiration): absolute ms in `ttls`.
// Redis 8 keeps a listpack hash with TTLs as "listpackex", whose entries are ordered by expiry
// (fields with a TTL first, soonest first; then the others in their own order), and the Map is
// kept in that order too, since replies walk it.

/** The two thresholds Redis converts a listpack hash at (hash-max-listpack-entries/-value). */
export interface HashLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

export type HashEncoding = 'listpack' | 'listpackex' | 'hashtable';

/** The latest expiry time a field may have (Redis's HFE_MAX_ABS_TIME_MSEC, EB_EXPIRE_TIME_MAX >> 2). */
export const FIELD_TTL_MAX = 70368744177663;

export class HashValue {
  readonly type = 'hash' as const;
  fields: Map<string, string>;
  /** Absolute expiry (ms) of the fields that have one; null while no field ever had one. */
  ttls: Map<string, number> | null = null;
  /**
   * The same expiries in a min-heap, so that the soonest and the expired ones cost O(log n) and
   * not a walk over every field (Redis keeps them in its ebuckets). An entry whose field has
   * another expiry now, or none, is stale and dropped when met.
   */
  private soonest: ExpiryHeap | null = null;
  private enc: HashEncoding;
  /** The fields as an array, for random picks; dropped when a field is added or removed. */
  private fieldList: string[] | null = null;

  constructor(fields = new Map<string, string>(), encoding: HashEncoding = 'listpack') {
    this.fields = fields;
    this.enc = encoding;
  }

  get size(): number {
    return this.fields.size;
  }

  encoding(): HashEncoding {
    return this.enc;
  }

  /** A deep copy with the same encoding and field TTLs (Redis's hashTypeDup keeps both). */
  copy(): HashValue {
    const h = new HashValue(new Map(this.fields), this.enc);
    if (this.ttls !== null) h.loadTtls(new Map(this.ttls));
    return h;
  }

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /**
   * Sets `field` (an update keeps the field's position); true when the field is new. As Redis's
   * hashTypeSet, a listpack converts when a string is too long or the entries too many, and an
   * update drops the field's TTL unless `keepTtl` (a listpackex field then moves to the end).
   */
  set(field: string, value: string, limits: HashLimits, keepTtl = false): boolean {
    if (this.enc !== 'hashtable' && (field.length > limits.maxValue || value.length > limits.maxValue)) this.enc = 'hashtable';
    const size = this.fields.size;
    if (!keepTtl && this.ttls !== null && this.ttls.delete(field) && this.enc === 'listpackex') {
      this.fields.delete(field);
    }
    this.fields.set(field, value);
    if (this.fields.size === size) return false;
    this.fieldList = null;
    if (this.enc !== 'hashtable' && this.fields.size > limits.maxEntries) this.enc = 'hashtable';
    return true;
  }

  delete(field: string): boolean {
    if (!this.fields.delete(field)) return false;
    if (this.ttls !== null) this.ttls.delete(field);
    this.fieldList = null;
    return true;
  }

  // --- field TTLs ---

  /** True while some field has a TTL. */
  hasFieldTtls(): boolean {
    return this.ttls !== null && this.ttls.size !== 0;
  }

  /** The field's absolute expiry in ms, or undefined when it has none. */
  ttlOf(field: string): number | undefined {
    return this.ttls === null ? undefined : this.ttls.get(field);
  }

  /** True when `field` has a TTL that is in the past at `now` (Redis: expireAt < now). */
  isExpired(field: string, now: number): boolean {
    const at = this.ttls === null ? undefined : this.ttls.get(field);
    return at !== undefined && at < now;
  }

  /** Makes a listpack able to hold TTLs (Redis converts it to listpackex, for good). */
  enableTtls(): void {
    if (this.enc === 'listpack') this.enc = 'listpackex';
    if (this.ttls === null) this.ttls = new Map();
  }

  /** Gives an existing field the absolute expiry `at` (enableTtls first). */
  setTtl(field: string, at: number): void {
    const ttls = this.ttls ?? (this.ttls = new Map());
    if (ttls.get(field) !== at) {
      ttls.set(field, at);
      const heap = this.soonest ?? (this.soonest = new ExpiryHeap());
      heap.push(at, field);
      // Stale entries (changed TTLs) are bounded: past twice the live ones, start again.
      if (heap.size > 2 * ttls.size + 64) this.soonest = ExpiryHeap.of(ttls);
    }
    if (this.enc === 'listpackex') this.place(field, at);
  }

  /** Entries in the soonest-expiry heap, stale ones included (for tests of its bound). */
  heapSize(): number {
    return this.soonest?.size ?? 0;
  }

  /** Takes `ttls` (field → expiry) as the fields' TTLs, as a loaded value brings them. */
  loadTtls(ttls: Map<string, number>): void {
    this.ttls = ttls;
    this.soonest = ExpiryHeap.of(ttls);
  }

  /** Removes the field's TTL; true when it had one. A listpackex field moves to the end. */
  persist(field: string): boolean {
    if (this.ttls === null || !this.ttls.delete(field)) return false;
    if (this.enc === 'listpackex') {
      const v = this.fields.get(field);
      if (v !== undefined) {
        this.fields.delete(field);
        this.fields.set(field, v);
        this.fieldList = null;
      }
    }
    return true;
  }

  /** The soonest field expiry, or undefined when no field has a TTL. */
  minTtl(): number | undefined {
    const ttls = this.ttls;
    const heap = this.soonest;
    if (ttls === null || heap === null) return undefined;
    return heap.top(ttls)?.at;
  }

  /** How many fields have expired at `now` (they are still stored until removed). */
  expiredCount(now: number): number {
    if (this.ttls === null || this.ttls.size === 0) return 0;
    let n = 0;
    for (const at of this.ttls.values()) if (at < now) n++;
    return n;
  }

  /** Up to `max` fields expired at `now`, soonest first (the order Redis removes them in). */
  expiredFields(now: number, max: number): string[] {
    const ttls = this.ttls;
    if (ttls === null || ttls.size === 0) return [];
    if (this.enc === 'listpackex') {
      // Kept in expiry order already: the expired ones lead, as Redis's listpackExExpire walks them.
      const lead: string[] = [];
      for (const f of this.fields.keys()) {
        const at = ttls.get(f);
        if (at === undefined || at >= now || lead.length >= max) break;
        lead.push(f);
      }
      return lead;
    }
    // Soonest first, from the heap: only the expired entries are touched.
    const heap = this.soonest;
    const out: string[] = [];
    if (heap === null) return out;
    const taken = new Set<string>();
    for (let e = heap.top(ttls); e !== undefined && e.at < now && out.length < max; e = heap.top(ttls)) {
      heap.pop();
      if (taken.has(e.field)) continue;
      taken.add(e.field);
      out.push(e.field);
    }
    return out;
  }

  /**
   * Re-inserts `field` where Redis's listpackExAddInternal would: before the first entry without
   * a TTL or with one at or after `at`.
   */
  private place(field: string, at: number): void {
    const value = this.fields.get(field);
    if (value === undefined) return;
    const ttls = this.ttls;
    const next = new Map<string, string>();
    let placed = false;
    for (const [f, v] of this.fields) {
      if (f === field) continue;
      if (!placed) {
        const t = ttls === null ? undefined : ttls.get(f);
        if (t === undefined || t >= at) {
          next.set(field, value);
          placed = true;
        }
      }
      next.set(f, v);
    }
    if (!placed) next.set(field, value);
    this.fields = next;
    this.fieldList = null;
  }

  /** The fields in order, as an array (kept until the next add or delete). */
  fieldArray(): string[] {
    if (this.fieldList === null) this.fieldList = Array.from(this.fields.keys());
    return this.fieldList;
  }

  /** A uniformly random field; the hash must not be empty. */
  randomField(): string {
    const all = this.fieldArray();
    const field = all[Math.floor(Math.random() * all.length)];
    if (field === undefined) throw new RangeError('a random field of an empty hash');
    return field;
  }
}

/** A binary min-heap of (expiry, field) entries; entries that no longer match `ttls` are stale. */
class ExpiryHeap {
  private readonly ats: number[] = [];
  private readonly fields: string[] = [];

  static of(ttls: ReadonlyMap<string, number>): ExpiryHeap {
    const h = new ExpiryHeap();
    for (const [f, at] of ttls) h.push(at, f);
    return h;
  }

  get size(): number {
    return this.ats.length;
  }

  push(at: number, field: string): void {
    const ats = this.ats;
    const fields = this.fields;
    let i = ats.length;
    ats.push(at);
    fields.push(field);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pa = ats[parent] ?? 0;
      if (pa <= at) break;
      ats[i] = pa;
      fields[i] = fields[parent] ?? '';
      i = parent;
    }
    ats[i] = at;
    fields[i] = field;
  }

  /** The soonest live entry (stale ones on top are dropped first), or undefined. */
  top(ttls: ReadonlyMap<string, number>): { at: number; field: string } | undefined {
    for (;;) {
      const at = this.ats[0];
      const field = this.fields[0];
      if (at === undefined || field === undefined) return undefined;
      if (ttls.get(field) === at) return { at, field };
      this.pop();
    }
  }

  /** Removes the top entry. */
  pop(): void {
    const ats = this.ats;
    const fields = this.fields;
    const lastAt = ats.pop();
    const lastField = fields.pop();
    const n = ats.length;
    if (n === 0 || lastAt === undefined || lastField === undefined) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const la = ats[l] ?? Infinity;
      const ra = r < n ? (ats[r] ?? Infinity) : Infinity;
      const c = ra < la ? r : l;
      const ca = ra < la ? ra : la;
      if (ca >= lastAt) break;
      ats[i] = ca;
      fields[i] = fields[c] ?? '';
      i = c;
    }
    ats[i] = lastAt;
    fields[i] = lastField;
  }
}

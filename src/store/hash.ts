// Hash values: field → value in a Map, whose insertion order is exactly the order of Redis's
// listpack (a new field goes to the end, an update keeps its place, HDEL then HSET re-appends).
// The encoding Redis would report is tracked alongside and, as in Redis, never goes back.

/** The two thresholds Redis converts a listpack hash at (hash-max-listpack-entries/-value). */
export interface HashLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

export type HashEncoding = 'listpack' | 'hashtable';

export class HashValue {
  readonly type = 'hash' as const;
  readonly fields: Map<string, string>;
  private table: boolean;
  /** The fields as an array, for random picks; dropped when a field is added or removed. */
  private fieldList: string[] | null = null;

  constructor(fields = new Map<string, string>(), encoding: HashEncoding = 'listpack') {
    this.fields = fields;
    this.table = encoding === 'hashtable';
  }

  get size(): number {
    return this.fields.size;
  }

  encoding(): HashEncoding {
    return this.table ? 'hashtable' : 'listpack';
  }

  /** A deep copy with the same encoding (Redis's hashTypeDup keeps it too). */
  copy(): HashValue {
    return new HashValue(new Map(this.fields), this.encoding());
  }

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /**
   * Sets `field` (an update keeps the field's position); true when the field is new. As Redis's
   * hashTypeSet, a listpack converts when a string is too long or the entries too many.
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    if (!this.table && (field.length > limits.maxValue || value.length > limits.maxValue)) this.table = true;
    const size = this.fields.size;
    this.fields.set(field, value);
    if (this.fields.size === size) return false;
    this.fieldList = null;
    if (!this.table && this.fields.size > limits.maxEntries) this.table = true;
    return true;
  }

  delete(field: string): boolean {
    if (!this.fields.delete(field)) return false;
    this.fieldList = null;
    return true;
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
    if (field === undefined) throw new RangeError('random field of an empty hash');
    return field;
  }
}

// RDB value type bytes (rdb.h), and the RDB version Redis 7.0 writes. A DUMP payload starts with
// one of these types; an RDB file uses the same bytes after each key's opcodes.

export const RDB_VERSION = 10;

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  /** RDB 11 (Redis 7.2): sets as listpacks, stream consumers with their active time. */
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  /** RDB 12 (Redis 7.4): hashes with field expiration (22 and 23 from its release candidates). */
  HASH_METADATA_PRE_GA: 22,
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const;

/** Redis 7.0's rdbIsObjectType: the value types it can load (0-7 and 9-19). */
export function isObjectType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

/** Redis 7.4's types for hashes with field TTLs (22-25), which Redoubt loads at any RDB version. */
export function isHashWithTtlsType(t: number): boolean {
  return t >= RDB_TYPE.HASH_METADATA_PRE_GA && t <= RDB_TYPE.HASH_LISTPACK_EX;
}

/** The RDB version Redis 7.4 and 8.0 write, the first with field TTLs. */
export const RDB_VERSION_FIELD_TTLS = 12;

// Sorted set values: member → score plus the skiplist order (being built).

import { SkipList } from './skiplist.js';

export class ZSetValue {
  readonly type = 'zset' as const;
  readonly scores = new Map<string, number>();
  readonly order = new SkipList();
}

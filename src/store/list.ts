// List values: a ring-buffer deque of elements (being built).

import { Deque } from './deque.js';

export class ListValue {
  readonly type = 'list' as const;
  readonly items = new Deque<string>();
}

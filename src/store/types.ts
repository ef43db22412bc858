// Value representation. Strings are stored as latin1 "binary strings" directly (no wrapper object:
// most values are small strings and a primitive is the cheapest thing V8 can hold). Every other
// type is an object whose `type` names it as TYPE reports it.

import type { HashValue } from './hash.js';
import type { SetValue } from './set.js';
import type { ZSetValue } from './zset.js';
import type { ListValue } from './list.js';
import type { StreamValue } from './stream.js';

export type CompositeValue = ListValue | HashValue | SetValue | ZSetValue | StreamValue;
export type Value = string | CompositeValue;
export type TypeName = 'string' | CompositeValue['type'];

export function typeOf(v: Value): TypeName {
  return typeof v === 'string' ? 'string' : v.type;
}

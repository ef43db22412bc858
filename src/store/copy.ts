// Deep copies of stored values, for COPY. Strings are immutable primitives and copy for free;
// each composite type adds its case here as it arrives, so a COPY never shares mutable state.

import type { Value } from './types.js';

export function copyValue(v: Value): Value {
  if (typeof v === 'string') return v;
  switch (v.type) {
    case 'zset':
      return v.copy();
    case 'list':
      return v.copy();
    case 'set':
      return v.copy();
    case 'stream':
      return v.copy();
    case 'hash':
      return v.copy();
    default:
      throw new Error(`COPY does not support values of type ${(v as { type: string }).type} yet`);
  }
}

// What one decoded value may cost, checked before anything is allocated. A few MB of LZF can
// declare hundreds of MB of output and hundreds of millions of entries; building that aborts V8
// (an array past its largest size is a fatal error, not an exception). Every decoder asks the
// budget first: bytes from the heap room left, entry counts from the runtime's fixed limits.

import { constants as bufferConstants } from 'node:buffer';
import { getHeapStatistics } from 'node:v8';
import { fail } from './bytes.js';

/** V8's Map and Set hold at most 2^24 entries (sets, hashes, sorted sets, stream groups). */
const MAX_TABLE_ENTRIES = 2 ** 24;
/**
 * Entries of one decoded list or listpack: well below the ~112 million elements at which growing
 * a V8 array aborts the process.
 */
const MAX_ARRAY_ENTRIES = 2 ** 26;
/** V8's longest string (536,870,888 bytes); a longer value cannot be held at all. */
export const MAX_STRING_BYTES = bufferConstants.MAX_STRING_LENGTH;
/** What one decoded element costs in the heap besides its bytes: string header, array and table slots. */
const ELEMENT_OVERHEAD = 64;
/** How often (in entries) a validation walk asks the budget whether it is already over. */
const WALK_CHECK_EVERY = 65536;
/** Below this much charged, the heap is not consulted: small values never pay for the check. */
const UNMEASURED = 32 * 1024 * 1024;

/**
 * The allowance for one value: half of the heap's free room (heap_size_limit - used_heap_size),
 * measured once the value has cost 32 MB, counting LZF output, every string's bytes and
 * ELEMENT_OVERHEAD per element. Exceeding it fails the decode (RESTORE: "Bad data format").
 */
export class DecodeBudget {
  private charged = 0;
  private limit: number | null;

  /** `bytes` fixes the allowance; without it the allowance comes from the heap on first need. */
  constructor(bytes?: number) {
    this.limit = bytes ?? null;
  }

  /** The allowance in bytes (measuring the heap if not done yet). */
  get allowance(): number {
    if (this.limit === null) {
      const h = getHeapStatistics();
      this.limit = Math.max(0, Math.floor((h.heap_size_limit - h.used_heap_size) / 2));
    }
    return this.limit;
  }

  /** Accounts for `elements` elements holding `bytes` bytes in all, before they are built. */
  charge(elements: number, bytes: number): void {
    if (!this.fits(elements, bytes)) fail('value larger than the memory this server can give it');
    this.charged += elements * ELEMENT_OVERHEAD + bytes;
  }

  /**
   * Whether `elements` more elements holding `bytes` bytes would still fit, without charging
   * them: a long validation walk asks now and then, and stops once the answer is no.
   */
  fits(elements: number, bytes: number): boolean {
    const total = this.charged + elements * ELEMENT_OVERHEAD + bytes;
    return (total <= UNMEASURED && this.limit === null) || total <= this.allowance;
  }

  /** A buffer of `n` decoded bytes (LZF output), before it is allocated. */
  buffer(n: number): void {
    if (n > bufferConstants.MAX_LENGTH) fail('decoded block larger than a buffer can be');
    this.charge(0, n);
  }

  /** The bytes of a string that will live as a JavaScript string (its element is charged apart). */
  stringBytes(n: number): void {
    if (n > MAX_STRING_BYTES) fail('string longer than this runtime can hold');
    this.charge(0, n);
  }
}

/**
 * A validation walk's tally after its `count`th entry (`bytes` string bytes so far): fails past
 * the array limit, and every WALK_CHECK_EVERY entries once `budget` could not hold them, so a
 * walk over hundreds of millions of entries stops early.
 */
export function tally(count: number, bytes: number, budget: DecodeBudget | null): void {
  if (count > MAX_ARRAY_ENTRIES) fail('more entries than one list can hold here');
  if (budget !== null && count % WALK_CHECK_EVERY === 0 && !budget.fits(count, bytes)) {
    fail('value larger than the memory this server can give it');
  }
}

/** Fails unless `n` entries fit a decoded list or listpack. */
export function checkArrayEntries(n: number): void {
  if (n > MAX_ARRAY_ENTRIES) fail('more entries than one list can hold here');
}

/** Fails unless `n` entries fit a set, hash or sorted set. */
export function checkTableEntries(n: number): void {
  if (n > MAX_TABLE_ENTRIES) fail('more entries than one set, hash or sorted set can hold here');
}

// The options shared by SCAN, HSCAN, SSCAN and ZSCAN (COUNT, MATCH, and TYPE for SCAN), parsed
// in Redis's order with Redis's errors, and the two reply shapes every *SCAN uses.

import * as E from '../errors.js';
import { is, parseInteger } from '../protocol/args.js';
import type { Client } from '../server/client.js';

export interface ScanArgs {
  readonly count: number;
  /** null when every element matches (no MATCH, or MATCH *). */
  readonly pattern: string | null;
  /** Lower-cased TYPE filter (SCAN only), or null. */
  readonly type: string | null;
  /** HSCAN NOVALUES (Redis 7.4, Valkey 8.0): fields only; ZSCAN NOSCORES (Valkey 8.0): members only. */
  readonly noValues: boolean;
}

/**
 * Options from argv[from] on; null after replying with the error. `valuesFlag` names the flag
 * that leaves the values out (HSCAN's `novalues`, ZSCAN's `noscores`), when the command has one.
 */
export function parseScanArgs(c: Client, argv: readonly string[], from: number, allowType: boolean, valuesFlag: 'novalues' | 'noscores' | null = null): ScanArgs | null {
  let count = 10;
  let pattern: string | null = null;
  let type: string | null = null;
  let noValues = false;
  for (let i = from; i < argv.length; i += 2) {
    const opt = argv[i];
    if (opt === undefined) break;
    const value = argv[i + 1];
    // A flag without a value: the next option starts right after it.
    if (is(opt, 'novalues') || is(opt, 'noscores')) {
      // Named on the wrong command, each flag has its own error (Redis 7.4, Valkey 8.0).
      const flag = is(opt, 'novalues') ? 'novalues' : 'noscores';
      if (flag !== valuesFlag) {
        c.reply.error(flag === 'novalues' ? E.SCAN_NOVALUES_ONLY_HSCAN : E.SCAN_NOSCORES_ONLY_ZSCAN);
        return null;
      }
      noValues = true;
      i--;
      continue;
    }
    if (is(opt, 'count') && value !== undefined) {
      const n = parseInteger(value);
      if (n === null) {
        c.reply.error(E.NOT_INTEGER);
        return null;
      }
      if (n < 1) {
        c.reply.error(E.SYNTAX);
        return null;
      }
      count = n;
    } else if (is(opt, 'match') && value !== undefined) {
      pattern = value === '*' ? null : value;
    } else if (allowType && is(opt, 'type') && value !== undefined) {
      type = value.toLowerCase();
    } else {
      c.reply.error(E.SYNTAX);
      return null;
    }
  }
  return { count, pattern, type, noValues };
}

/** [cursor, items]: the reply of every *SCAN. */
export function replyScan(c: Client, cursor: bigint, items: readonly string[]): void {
  c.reply.array(2);
  c.reply.bulk(cursor.toString());
  c.reply.bulks(items);
}

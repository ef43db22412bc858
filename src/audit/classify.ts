// One exposure state per endpoint, from the reply to the first INFO (or what the socket did
// instead). The states follow the internet-wide studies of exposed Redis; the rules for replies
// that say nothing (a close before any byte, a silence) are written out in docs/audit.md.

import { ReplyError, type Reply } from './resp.js';
import { printable } from '../hardening/exposure.js';

export { printable };

export const STATES = ['open', 'auth-required', 'protected-mode', 'ip-allowlisted', 'busy', 'tls-required', 'not-redis', 'unreachable', 'error'] as const;
export type State = (typeof STATES)[number];

export interface Classified {
  readonly state: State;
  readonly reason: string;
}

/** True when a bulk reply is an INFO text (section headers or the version field). */
export function looksLikeInfo(r: Reply): r is string {
  return typeof r === 'string' && (/^# \w+/m.test(r) || /^(redis|valkey|dragonfly)_version:/m.test(r));
}

/** Errors an IP filter in front of (or inside) a Redis-protocol server answers with. */
const ALLOWLIST_ERROR = /illegal address|address (is )?not allowed|not allowed from|ip .*not (allowed|permitted)|not in (the )?(allow|white) ?list/i;

/**
 * The state a reply to INFO (sent without credentials) puts an endpoint in; null when the reply
 * alone cannot decide (an unknown-command error: INFO may be renamed, the caller tries PING).
 */
export function classifyInfoReply(r: Reply): Classified | null {
  if (looksLikeInfo(r)) return { state: 'open', reason: 'INFO answered without credentials' };
  if (r instanceof ReplyError) {
    const m = r.message;
    switch (r.code) {
      case 'NOAUTH':
        return { state: 'auth-required', reason: m };
      case 'NOPERM':
        return { state: 'auth-required', reason: `${m} (the default user needs no password but may not run INFO)` };
      case 'DENIED':
        return { state: 'protected-mode', reason: 'DENIED: protected mode refused a client from this address' };
      case 'BUSY':
      case 'LOADING':
        return { state: 'busy', reason: m };
      default:
        break;
    }
    if (/^ERR operation not permitted/i.test(m)) return { state: 'auth-required', reason: m };
    if (ALLOWLIST_ERROR.test(m)) return { state: 'ip-allowlisted', reason: m };
    if (/^ERR unknown command/i.test(m)) return null;
    return { state: 'error', reason: m };
  }
  return { state: 'not-redis', reason: `unexpected reply to INFO: ${describeReply(r)}` };
}

/** What the first bytes of a non-RESP answer look like. */
export function classifyForeignBytes(head: Buffer): Classified {
  const text = head.latin1Slice(0, Math.min(head.length, 40));
  // 0x15 0x03: a TLS alert record, what some TLS servers send back to plaintext.
  if (head[0] === 0x15 && head[1] === 0x03) return { state: 'tls-required', reason: 'answered plaintext with a TLS alert' };
  if (head[0] === 0x16 && head[1] === 0x03) return { state: 'tls-required', reason: 'answered plaintext with a TLS record' };
  if (/^HTTP\/\d/.test(text)) return { state: 'not-redis', reason: `HTTP server (${printable(text.split('\r\n')[0] ?? '')})` };
  if (/^SSH-/.test(text)) return { state: 'not-redis', reason: `SSH server (${printable(text.split('\r\n')[0] ?? '')})` };
  return { state: 'not-redis', reason: `not RESP: ${JSON.stringify(printable(text))}` };
}

function describeReply(r: Reply): string {
  if (r === null) return 'nil';
  if (Array.isArray(r)) return `an array of ${r.length}`;
  if (typeof r === 'number') return `:${r}`;
  if (r instanceof ReplyError) return `-${printable(r.message)}`;
  return JSON.stringify(printable(r.slice(0, 40)));
}

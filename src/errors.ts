// Every error reply the server sends, in one place. Strings are the text after the leading '-',
// spelled exactly as Redis 7.0 spells them; functions build the ones that carry arguments.

// --- protocol ---
export const PROTO_INVALID_MULTIBULK = 'ERR Protocol error: invalid multibulk length';
export const PROTO_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
export const PROTO_BIG_MBULK_COUNT = 'ERR Protocol error: too big mbulk count string';
export const PROTO_BIG_BULK_COUNT = 'ERR Protocol error: too big bulk count string';
export const PROTO_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const PROTO_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const PROTO_UNAUTH_MULTIBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const PROTO_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';
export const protoExpectedDollar = (got: string): string => `ERR Protocol error: expected '$', got '${got}'`;

// --- dispatch ---
export const unknownCommand = (name: string, args: readonly string[]): string => {
  let list = '';
  for (let i = 0; i < args.length && list.length < 128; i++) list += `'${args[i]!.slice(0, 128 - list.length)}' `;
  return sanitize(`ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${list}`);
};
export const unknownSubcommand = (sub: string, container: string): string =>
  sanitize(`ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`);
export const wrongArity = (fullName: string): string => `ERR wrong number of arguments for '${fullName}' command`;
export const NOAUTH = 'NOAUTH Authentication required.';
export const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const LOADING = 'LOADING Redis is loading the dataset in memory';
export const BUSY_SCRIPT = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const MAX_CLIENTS = 'ERR max number of clients reached';
export const subscribeContext = (name: string): string =>
  `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;

// --- generic argument errors ---
export const SYNTAX = 'ERR syntax error';
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const NO_SUCH_KEY = 'ERR no such key';
export const DB_INDEX_OUT_OF_RANGE = 'ERR DB index is out of range';
export const INVALID_DB_INDEX = 'ERR invalid DB index';
export const SAME_OBJECT = 'ERR source and destination objects are the same';
export const INVALID_EXPIRE = (cmd: string): string => `ERR invalid expire time in '${cmd}' command`;
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const COUNT_POSITIVE = 'ERR value is out of range, must be positive';
export const INCR_NAN_OR_INF = 'ERR increment would produce NaN or Infinity';
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
export const BIT_VALUE = 'ERR bit is not an integer or out of range';
export const BITFIELD_OVERFLOW_TYPE = 'ERR Invalid OVERFLOW type specified';
export const BITFIELD_TYPE =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
export const BITOP_NOT_SINGLE = 'ERR BITOP NOT must be called with a single source key.';
export const EXPIRE_OPTIONS_NX_XX_GT_LT =
  'ERR NX and XX, GT or LT options at the same time are not compatible';
export const EXPIRE_OPTIONS_GT_LT = 'ERR GT and LT options at the same time are not compatible';

// --- strings, bits (extend below) ---

// --- keyspace (extend below) ---

// --- connection and server (extend below) ---
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const CLIENT_NAME_SPACES = 'ERR Client names cannot contain spaces, newlines or special characters.';

// --- config (extend below) ---

/** Redis never lets CR or LF into an error line: the reply would break the protocol. */
export function sanitize(message: string): string {
  return message.indexOf('\r') === -1 && message.indexOf('\n') === -1 ? message : message.replace(/[\r\n]/g, ' ');
}

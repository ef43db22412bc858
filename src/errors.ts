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
/** What C's "%.Ns" prints of a binary string: up to the first NUL, at most `max` bytes. */
const cstr = (s: string, max: number): string => {
  const nul = s.indexOf('\0');
  return (nul === -1 ? s : s.slice(0, nul)).slice(0, max);
};
export const unknownCommand = (name: string, args: readonly string[]): string => {
  let list = '';
  for (const a of args) {
    if (list.length >= 128) break;
    list += `'${cstr(a, 128 - list.length)}' `;
  }
  return sanitize(`ERR unknown command '${cstr(name, 128)}', with args beginning with: ${list}`);
};
export const unknownSubcommand = (sub: string, container: string): string =>
  sanitize(`ERR unknown subcommand '${cstr(sub, 128)}'. Try ${container.toUpperCase()} HELP.`);
export const wrongArity = (fullName: string): string => `ERR wrong number of arguments for '${fullName}' command`;
export const NOAUTH = 'NOAUTH Authentication required.';
export const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const BUSY_SCRIPT = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const SCRIPT_OOM_NOT_ALLOWED = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
/** MEMORY PURGE where no collection can be started (Redis's wording for a failed purge). */
export const PURGE_FAILED = 'ERR Error purging dirty pages';
export const LOADING = 'LOADING Redis is loading the dataset in memory';
export const RELOAD_FAILED = 'ERR Error trying to load the RDB dump';
/** DEBUG LOADAOF on a damaged AOF (Redis exits instead). */
export const LOADAOF_FAILED = 'ERR Error trying to load the AOF files, check server logs.';
export const RELOAD_OPTION = 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.';
export const MAX_CLIENTS = 'ERR max number of clients reached';
/** A handler threw: the command is answered with an error and the server keeps running. */
export const INTERNAL = 'ERR internal error while executing the command; see the server log';
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
export const OFFSET_OUT_OF_RANGE = 'ERR offset is out of range';
export const DECREMENT_OVERFLOW = 'ERR decrement would overflow';
export const BITPOS_BIT = 'ERR The bit argument must be 1 or 0.';
export const BITFIELD_RO_GET_ONLY = 'ERR BITFIELD_RO only supports the GET subcommand';
export const LCS_NOT_STRINGS = 'ERR The specified keys must contain string values';
export const LCS_IDX_AND_LEN = 'ERR If you want both the length and indexes, please just use IDX.';
export const LCS_TOO_LONG = 'ERR String too long for LCS';
export const LCS_OVER_LIMIT = 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len';
export const LCS_NO_MEMORY = 'ERR Insufficient memory, failed allocating transient memory for LCS';

// --- keyspace (extend below) ---
export const INVALID_CURSOR = 'ERR invalid cursor';
export const SCAN_NOVALUES_ONLY_HSCAN = 'ERR NOVALUES option can only be used in HSCAN';
export const SCAN_NOSCORES_ONLY_ZSCAN = 'ERR NOSCORES option can only be used in ZSCAN';
export const unsupportedOption = (opt: string): string => sanitize(`ERR Unsupported option ${opt}`);
export const INT_OUT_OF_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
export const INVALID_FIRST_DB = 'ERR invalid first DB index';
export const INVALID_SECOND_DB = 'ERR invalid second DB index';
export const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
export const LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

// --- connection and server (extend below) ---
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const AUTH_NOT_CONFIGURED =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const CLIENT_NAME_SPACES = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const subcommandSyntax = (sub: string, container: string): string =>
  sanitize(`ERR unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`);
export const TIMEOUT_NOT_INTEGER = 'ERR timeout is not an integer or out of range';
export const CLIENT_PAUSE_MODE = 'ERR CLIENT PAUSE mode must be WRITE or ALL';
export const NO_SUCH_CLIENT = 'ERR No such client';
export const CLIENT_ID_POSITIVE = 'ERR client-id should be greater than 0';
export const INVALID_CLIENT_ID = 'ERR Invalid client ID';
export const unknownClientType = (t: string): string => sanitize(`ERR Unknown client type '${t}'`);
export const noSuchUser = (u: string): string => sanitize(`ERR No such user '${u}'`);
export const unrecognizedOption = (o: string): string => sanitize(`ERR Unrecognized option '${o}'`);
export const clientAttrChars = (attr: string): string =>
  sanitize(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
export const SLOWLOG_COUNT = 'ERR count should be greater than or equal to -1';
export const noLatencySamples = (event: string): string => sanitize(`ERR No samples available for event '${event}'`);
export const NO_SHUTDOWN = 'ERR No shutdown in progress.';
export const SHUTDOWN_FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.';
export const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';
export const BGSAVE_AOF_REWRITING =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
export const AOF_REWRITE_IN_PROGRESS = 'ERR Background append only file rewriting already in progress';
/** SAVE and BGSAVE that failed: Redis answers its shared.err, a bare ERR (the log says why). */
export const SAVE_FAILED = 'ERR';
export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
export const INVALID_COMMAND = 'ERR Invalid command specified';
export const INVALID_COMMAND_ARGS = 'ERR Invalid arguments specified for command';
export const INVALID_COMMAND_ARGC = 'ERR Invalid number of arguments specified for command';
export const NO_KEY_ARGUMENTS = 'ERR The command has no key arguments';
export const CLIENT_UNBLOCK_REASON = 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR';
/** What a client blocked in a command gets from CLIENT UNBLOCK ... ERROR. */
export const UNBLOCKED = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';
/** An exception from code that reports failures by throwing, as an ERR reply. */
export const errorFrom = (e: unknown): string => sanitize(`ERR ${e instanceof Error ? e.message : String(e)}`);

// --- config (extend below) ---
export const configUnknownOption = (name: string): string =>
  sanitize(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
export const configSetFailed = (name: string, reason: string): string =>
  sanitize(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
export const CONFIG_IMMUTABLE = "can't set immutable config";
export const CONFIG_PROTECTED = "can't set protected config";
export const CONFIG_DUPLICATE = 'duplicate parameter';
/** CONFIG SET port / tls-port when the new port cannot be bound (Redis's updatePort). */
export const PORT_LISTEN_FAILED = 'Unable to listen on this port. Check server logs.';
/** CONFIG SET of a port inside MULTI/EXEC: the reply waits for the new listener, and EXEC cannot wait. */
export const CONFIG_PORT_CANNOT_WAIT = 'ERR CONFIG SET of port or tls-port cannot run inside MULTI/EXEC';
export const CONFIG_NO_FILE = 'ERR The server is running without a config file';
export const configRewriteFailed = (reason: string): string => sanitize(`ERR Rewriting config file: ${reason}`);

/** Redis never lets CR or LF into an error line: the reply would break the protocol. */
export function sanitize(message: string): string {
  return message.indexOf('\r') === -1 && message.indexOf('\n') === -1 ? message : message.replace(/[\r\n]/g, ' ');
}

// --- hashes ---
export const HASH_NOT_INTEGER = 'ERR hash value is not an integer';
export const HASH_NOT_FLOAT = 'ERR hash value is not a float';
// Hash-field expiration (Redis 7.4/8.0, t_hash.c and db.c).
export const FIELDS_MISSING = 'ERR Mandatory argument FIELDS is missing or not at the right position';
export const NUMFIELDS_POSITIVE = 'ERR Number of fields must be a positive integer';
export const NUMFIELDS_HEXPIRE = 'ERR Parameter `numFields` should be greater than 0';
export const NUMFIELDS_MISMATCH = 'ERR The `numfields` parameter must match the number of arguments';
export const FIELD_EXPIRE_NEGATIVE = 'ERR invalid expire time, must be >= 0';
export const HSETEX_NUMFIELDS = 'ERR invalid number of fields';
export const HSETEX_MISSING_EXPIRE = 'ERR missing expire time';
export const HSETEX_ONE_CONDITION = 'ERR Only one of FXX or FNX arguments can be specified';
export const HSETEX_ONE_EXPIRATION = 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified';
export const unknownArgument = (arg: string): string => sanitize(`ERR unknown argument: ${arg}`);
export const NAN_OR_INFINITY = 'ERR value is NaN or Infinity';
export const VALUE_OUT_OF_RANGE = 'ERR value is out of range';
/** Redis 7.0's wording ("must between") for a count outside ±LONG_MAX. */
export const LONG_OUT_OF_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';

// --- sets ---
export const NUMKEYS_POSITIVE = 'ERR numkeys should be greater than 0';
export const NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";
export const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

// --- lists ---
export const INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative";
export const MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";
export const COUNT_ABOVE_ZERO = 'ERR count should be greater than 0';

// --- sorted sets ---
export const ZADD_NX_XX = 'ERR XX and NX options at the same time are not compatible';
export const ZADD_GT_LT_NX = 'ERR GT, LT, and/or NX options at the same time are not compatible';
export const ZADD_INCR_PAIR = 'ERR INCR option supports a single increment-element pair';
export const ZSCORE_NAN = 'ERR resulting score is not a number (NaN)';
export const MIN_MAX_NOT_FLOAT = 'ERR min or max is not a float';
export const MIN_MAX_NOT_LEX = 'ERR min or max not valid string range item';
export const ZRANGE_LIMIT_RANK = 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX';
export const ZRANGE_WITHSCORES_BYLEX = 'ERR syntax error, WITHSCORES not supported in combination with BYLEX';
export const WEIGHT_NOT_FLOAT = 'ERR weight value is not a float';
export const atLeastOneInputKey = (name: string): string => `ERR at least 1 input key is needed for '${name}' command`;

// --- network exposure (listening, protected mode, trusted networks, TLS) ---
/** Sent to a non-local client in protected mode, byte for byte as Redis 7.0 (typo included). */
export const PROTECTED_MODE_DENIED =
  'DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Setup a an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.';
export const openNetworkDoor = (addresses: readonly string[]): string =>
  `refusing to accept unauthenticated clients on ${addresses.join(', ')}: the default user has no password and protected mode is off, ` +
  'so anyone who can reach the server could run any command. Fix: set a password (requirepass, or an ACL rule for the default user), ' +
  'or keep protected-mode yes, or bind only loopback addresses (bind 127.0.0.1 -::1). ' +
  'To accept the risk anyway: allow-unauthenticated-network yes';
export const TLS_UPDATE_FAILED = 'Unable to update TLS configuration. Check server logs.';

// --- limits, audit log, command gates ---
/** DEBUG or MODULE refused by enable-debug-command / enable-module-command, as Redis 7.0 words it. */
export const protectedCommandRefused = (command: 'DEBUG' | 'MODULE' | 'MIGRATE', option: string): string =>
  `ERR ${command} command not allowed. If the ${option} option is set to "local", you can run it from a local connection, ` +
  'otherwise you need to set this option in the configuration file, and then restart the server.';
export const debugUnknownSubcommand = (sub: string): string =>
  `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try DEBUG HELP.`;
/** DEBUG POPULATE refused or cut short (Redoubt's bounds: Redis has none). */
export const POPULATE_VALUE_SIZE = 'ERR DEBUG POPULATE value size is over proto-max-bulk-len or the largest string';
export const populateOverMemory = (added: number): string =>
  `ERR DEBUG POPULATE stopped after adding ${added} keys: used memory is over the limit`;
export const QUICKLIST_PACKED_THRESHOLD = 'ERR argument must be a memory value bigger than 1 and smaller than 4gb';
export const DEBUG_PROTOCOL_RESP2 = 'ERR RESP2 is not supported by this command';
export const debugProtocolType = (types: string): string => `ERR Wrong protocol type name. Please use one of the following: ${types}`;
export const MODULE_LOAD_FAILED = 'ERR Error loading the extension. Please check the server logs.';
export const MODULE_UNLOAD_FAILED = 'ERR Error unloading module: no such module with that name';

// --- ACL users and authentication ---
export const aclSetuserError = (op: string, reason: string): string =>
  sanitize(`ERR Error in ACL SETUSER modifier '${op}': ${reason}`);
export const aclUnmatchedParenthesis = (arg: string): string =>
  sanitize(`ERR Unmatched parenthesis in acl selector starting at '${arg}'.`);
/** ACLSetUserStringError's texts, by the kind of rule error. */
export const ACL_RULE_ERRORS = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  'keys-after-all':
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  'channels-after-all':
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  'no-such-password': 'The password you are trying to remove from the user does not exist',
  'bad-hash': 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  'duplicate-user': 'Duplicate user found. A user can only be defined once in config files',
  'subcommand-firstarg': 'Allowing first-arg of a subcommand is not supported',
} as const;
export const ACL_USERNAME_SPACES = "ERR Usernames can't contain spaces or null characters";
export const ACL_DELETE_DEFAULT = "ERR The 'default' user cannot be removed";
export const aclUnknownCategory = (cat: string): string => sanitize(`ERR Unknown category '${cat}'`);
export const ACL_GENPASS_BITS =
  'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096';
export const aclUserNotFound = (user: string): string => sanitize(`ERR User '${user}' not found`);
export const aclCommandNotFound = (cmd: string): string => sanitize(`ERR Command '${cmd}' not found`);
export const ACL_NO_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';
export const ACL_SAVE_FAILED = 'ERR There was an error trying to save the ACLs. Please check the server logs for more information';
export const aclLoadFailed = (errors: string): string => sanitize(`ERR ${errors}`);
// ACL refusals in Redis 7.2's unified wording (getAclErrorMessage): the gate names the user and
// command, but never the key or channel; ACL DRYRUN names them too.
export const aclNoCommand = (user: string, fullName: string): string => sanitize(`User ${user} has no permissions to run the '${fullName}' command`);
export const ACL_NO_KEY = 'No permissions to access a key';
export const ACL_NO_CHANNEL = 'No permissions to access a channel';
/** ACL DRYRUN's, a bulk string: the key or channel as given, byte for byte. */
export const aclNoKeyNamed = (user: string, key: string): string => `User ${user} has no permissions to access the '${key}' key`;
export const aclNoChannelNamed = (user: string, channel: string): string => `User ${user} has no permissions to access the '${channel}' channel`;
export const noperm = (message: string): string => `NOPERM ${message}`;
/** What redis.call gets for an ACL refusal (the engine appends the script's name). */
export const scriptAclFailure = (message: string): string => `ERR ACL failure in script: ${message}`;
export const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
export const HELLO_PROTO_NOT_INTEGER = 'ERR Protocol version is not an integer or out of range';
export const helloSyntax = (opt: string): string => sanitize(`ERR Syntax error in HELLO option '${opt}'`);
export const ACL_USERS_AND_ACLFILE =
  'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.';
export const userDeclarationError = (word: string, reason: string): string => `Error in user declaration '${word}': ${reason}`;
export const aclRuleLoadError = (rule: string, user: string, reason: string): string =>
  `Error loading ACL rule '${rule}' for the user named '${user}': ${reason}`;
export const aclStartupError = (errors: string): string => `Aborting Redis startup because of ACL errors: ${errors}`;

// --- hyperloglog ---
export const HLL_WRONGTYPE = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
export const HLL_CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';
export const HLL_NOT_SPARSE = 'ERR HLL encoding is not sparse';
export const HLL_NO_SUCH_KEY = 'ERR The specified key does not exist';
export const pfselftestFailed = (register: number, expected: number | undefined, found: number): string =>
  `TESTFAILED Register ${register} should be ${expected} but is ${found}`;
export const pfdebugUnknown = (sub: string): string => sanitize(`ERR Unknown PFDEBUG subcommand '${sub}'`);

// --- geo ---
/** Redis prints the pair with "%f"; the caller passes the formatted numbers. */
export const geoInvalidPair = (lon: string, lat: string): string => `ERR invalid longitude,latitude pair ${lon},${lat}`;
export const GEO_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
export const GEO_NEED_RADIUS = 'ERR need numeric radius';
export const GEO_NEED_WIDTH = 'ERR need numeric width';
export const GEO_NEED_HEIGHT = 'ERR need numeric height';
export const GEO_RADIUS_NEGATIVE = 'ERR radius cannot be negative';
export const GEO_BOX_NEGATIVE = 'ERR height or width cannot be negative';
export const GEO_COUNT = 'ERR COUNT must be > 0';
export const GEO_MEMBER = 'ERR could not decode requested zset member';
export const GEO_ANY_NEEDS_COUNT = 'ERR the ANY argument requires COUNT argument';
export const geoStoreWith = (what: string): string => `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`;
export const geoFromRequired = (cmd: string): string =>
  sanitize(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmd}`);
export const geoByRequired = (cmd: string): string =>
  sanitize(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmd}`);

// --- sort ---
export const SORT_SCORE_NOT_DOUBLE = "ERR One or more scores can't be converted into double";
export const SORT_BY_DENIED = 'ERR BY option of SORT denied due to insufficient ACL permissions.';
export const SORT_GET_DENIED = 'ERR GET option of SORT denied due to insufficient ACL permissions.';

// --- dump ---
export const BUSYKEY = 'BUSYKEY Target key name already exists.';
export const DUMP_PAYLOAD_INVALID = 'ERR DUMP payload version or checksum are wrong';
export const BAD_DATA_FORMAT = 'ERR Bad data format';
export const INVALID_TTL_VALUE = 'ERR Invalid TTL value, must be >= 0';
export const INVALID_IDLETIME_VALUE = 'ERR Invalid IDLETIME value, must be >= 0';
export const INVALID_FREQ_VALUE = 'ERR Invalid FREQ value, must be >= 0 and <= 255';
export const dumpUnsupported = (type: string): string => `ERR DUMP does not support values of type ${type} yet`;

// --- streams ---
export const STREAM_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const XADD_ID_TOO_SMALL = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
export const XADD_ID_ZERO = 'ERR The ID specified in XADD must be greater than 0-0';
export const STREAM_EXHAUSTED = 'ERR The stream has exhausted the last possible ID, unable to add more items';
export const TRIM_MAXLEN_AND_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';
export const TRIM_MAXLEN_NEGATIVE = 'ERR The MAXLEN argument must be >= 0.';
export const TRIM_LIMIT_NEGATIVE = 'ERR The LIMIT argument must be >= 0.';
export const TRIM_LIMIT_WITHOUT_STRATEGY = 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy';
export const TRIM_LIMIT_WITHOUT_APPROX = 'ERR syntax error, LIMIT cannot be used without the special ~ option';
export const XTRIM_WITHOUT_STRATEGY = 'ERR syntax error, XTRIM must be called with a trimming strategy';
export const STREAM_INVALID_START = 'ERR invalid start ID for the interval';
export const STREAM_INVALID_END = 'ERR invalid end ID for the interval';
/** Redis 7.2's text: the command's name and the ID each stream needs ('$' for XREAD, '>' for XREADGROUP). */
export const xreadUnbalanced = (readGroup: boolean): string =>
  `ERR Unbalanced '${readGroup ? 'xreadgroup' : 'xread'}' list of streams: for each stream key an ID or '${readGroup ? '>' : '$'}' must be specified.`;
export const XREAD_GROUP_OPTION = 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.';
export const XREAD_NOACK_OPTION = 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.';
export const XREADGROUP_NO_GROUP_OPTION = 'ERR Missing GROUP option for XREADGROUP';
export const XREADGROUP_DOLLAR =
  'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.';
export const XREADGROUP_PLUS =
  'ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.';
export const XREAD_PLUS_EMPTY = 'ERR the stream last element ID is 0-0';
export const XREAD_GREATER_ID = 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.';
export const xreadgroupNoGroup = (key: string, group: string): string =>
  sanitize(`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`);
export const XREADGROUP_KEY_GONE = 'UNBLOCKED the stream key no longer exists';
export const XREADGROUP_GROUP_GONE = 'NOGROUP the consumer group this client was blocked on no longer exists';
export const XGROUP_KEY_REQUIRED =
  'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.';
export const xgroupNoGroup = (group: string, key: string): string => sanitize(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
export const BUSYGROUP = 'BUSYGROUP Consumer Group name already exists';
export const ENTRIESREAD_RANGE = 'ERR value for ENTRIESREAD must be positive or -1';
export const noKeyOrGroup = (key: string, group: string): string => sanitize(`NOGROUP No such key '${key}' or consumer group '${group}'`);
export const xclaimBadArgument = (what: string, cmd: string): string => `ERR Invalid ${what} argument for ${cmd}`;
export const xclaimUnknownOption = (opt: string): string => sanitize(`ERR Unrecognized XCLAIM option '${opt}'`);
export const XAUTOCLAIM_COUNT = 'ERR COUNT must be > 0';
export const XAUTOCLAIM_COUNT_TOO_HIGH = 'ERR Insufficient memory, failed allocating transient memory, COUNT too high.';
export const XSETID_ENTRIES_ADDED_NEGATIVE = 'ERR entries_added must be positive';
export const XSETID_BELOW_MAX_DELETED = 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id';
export const XSETID_BELOW_CURRENT_MAX_DELETED = 'ERR The ID specified in XSETID is smaller than current max_deleted_entry_id';
export const XSETID_BELOW_TOP = 'ERR The ID specified in XSETID is smaller than the target stream top item';
export const XSETID_ENTRIES_ADDED_SMALL = 'ERR The entries_added specified in XSETID is smaller than the target stream length';

// --- pubsub ---
/** (P|S)SUBSCRIBE from a client that must get one reply per command (EXEC, scripts). */
export const subscribeDenyBlocking = (name: string): string => `ERR ${name} isn't allowed for a DENY BLOCKING client`;

// --- MONITOR ---
/** MONITOR from a client that must get one reply per command (inside EXEC). */
export const MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client";
/** A command that reads or writes keys, from a MONITOR client (Redis marks monitors as replicas). */
export const REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace";

// --- CLIENT KILL MAXAGE (Redis 7.4, Valkey 8) ---
export const CLIENT_MAXAGE_NOT_INTEGER = 'ERR maxage is not an integer or out of range';
export const CLIENT_MAXAGE_POSITIVE = 'ERR maxage should be greater than 0';

// --- transactions ---
export const MULTI_NESTED = 'ERR MULTI calls can not be nested';
export const EXEC_WITHOUT_MULTI = 'ERR EXEC without MULTI';
export const DISCARD_WITHOUT_MULTI = 'ERR DISCARD without MULTI';
export const WATCH_INSIDE_MULTI = 'ERR WATCH inside MULTI is not allowed';
export const NOT_ALLOWED_IN_MULTI = 'ERR Command not allowed inside a transaction';
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
/**
 * EXEC itself was refused (arity, NOAUTH, NOPERM...): the transaction goes, with the reason.
 * Redis words the reason as the bare message: a plain error has no ERR code there.
 */
export const execAbortBecause = (message: string): string =>
  `EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`;
/** A queued command the user may no longer run once EXEC comes. */
export const execAclChanged = (reason: string): string =>
  `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
/** execAclChanged's reasons, by what the user may no longer touch. */
export const EXEC_DENIED_KEYS = 'no permission to touch the specified keys';
export const EXEC_DENIED_CHANNELS = 'no permission to access one of the channels used as arguments';
export const EXEC_DENIED_COMMAND = 'no permission to execute the command or subcommand';

// --- scripting ---
export const NUMKEYS_TOO_BIG = "ERR Number of keys can't be greater than number of args";
export const NUMKEYS_NEGATIVE = "ERR Number of keys can't be negative";
export const NOTBUSY = 'NOTBUSY No scripts in execution right now.';
/** The Lua VM itself failed (a trap in the wasm engine); the VM is not used again. */
export const luaVmFailure = (e: unknown): string => `ERR Lua VM failure: ${e instanceof Error ? e.message : String(e)}`;
/** A script raised an error that is not a Redis error reply (a plain Lua error). */
export const scriptRunError = (name: string, message: string): string => `ERR Error running script ${name}, ${message}`;
/** Beyond Redis: a script's reply (or error) larger than the Lua memory cap is refused, not built. */
export const SCRIPT_REPLY_TOO_LARGE = "ERR The script's reply is larger than the scripting memory limit";
// --- scripting: long scripts (BUSY, SCRIPT KILL, FUNCTION KILL) ---
/** BUSY_SCRIPT's twin while a function (FCALL) is the script past busy-reply-threshold. */
export const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
export const UNKILLABLE =
  'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
export const scriptCompile = (luaError: string): string => `ERR Error compiling script (new function): ${luaError}`;
export const SHEBANG_INVALID = 'ERR Invalid script shebang';
export const SHEBANG_NO_ENGINE = 'ERR Invalid engine in script shebang';
export const shebangEngine = (engine: string): string => sanitize(`ERR Unexpected engine in script shebang: ${engine}`);
export const shebangFlag = (flag: string): string => sanitize(`ERR Unexpected flag in script shebang: ${flag}`);
export const shebangOption = (option: string): string => sanitize(`ERR Unknown lua shebang option: ${option}`);
export const SCRIPT_WRITE_FLAG_RO = 'ERR Can not execute a script with write flag using *_ro command.';
export const SCRIPT_FLUSH_OPTION = 'ERR SCRIPT FLUSH only support SYNC|ASYNC option';
export const SCRIPT_DEBUG_OPTION = 'ERR Use SCRIPT DEBUG YES/SYNC/NO';
/** The Lua debugger needs a forked child per session in Redis; Redoubt has none. */
export const SCRIPT_DEBUG_UNSUPPORTED = 'ERR SCRIPT DEBUG YES/SYNC is not supported by this server';
// What redis.call / redis.pcall get back when a command is refused (the engine appends the script name).
export const SCRIPT_UNKNOWN_COMMAND = 'ERR Unknown Redis command called from script';
export const SCRIPT_WRONG_ARITY = 'ERR Wrong number of args calling Redis command from script';
export const SCRIPT_NOT_ALLOWED = 'ERR This Redis command is not allowed from script';
/** XREAD/XREADGROUP ... BLOCK called from a script (Redis names the command as the script spelled it). */
export const blockFromScript = (name: string): string => `ERR ${name} command is not allowed with BLOCK option from scripts`;
export const SCRIPT_READONLY_WRITE = 'ERR Write commands are not allowed from read-only scripts.';

// --- functions (FUNCTION, FCALL) ---
export const FUNCTION_MISSING_METADATA = 'ERR Missing library metadata';
export const FUNCTION_INVALID_METADATA = 'ERR Invalid library metadata';
export const FUNCTION_NAME_TWICE = 'ERR Invalid metadata value, name argument was given multiple times';
export const functionMetadataValue = (part: string): string => sanitize(`ERR Invalid metadata value given: ${part}`);
export const FUNCTION_NO_LIBRARY_NAME = 'ERR Library name was not given';
export const FUNCTION_LIBRARY_NAME =
  'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
export const functionEngine = (engine: string): string => sanitize(`ERR Engine '${engine}' not found`);
export const functionLibraryExists = (name: string): string => `ERR Library '${name}' already exists`;
export const functionCompile = (luaError: string): string => sanitize(`ERR Error compiling function: ${luaError}`);
export const functionRegister = (message: string): string => sanitize(`ERR Error registering functions: ${message}`);
export const FUNCTION_NONE_REGISTERED = 'ERR No functions registered';
export const functionExists = (name: string): string => `ERR Function ${name} already exists`;
export const functionRestoreLibraryExists = (name: string): string => `ERR Library ${name} already exists`;
export const functionLoadOption = (option: string): string => sanitize(`ERR Unknown option given: ${option}`);
export const FUNCTION_NOT_FOUND = 'ERR Function not found';
export const FUNCTION_BAD_NUMKEYS = 'ERR Bad number of keys provided';
export const LIBRARY_NOT_FOUND = 'ERR Library not found';
export const FUNCTION_LIST_NO_NAME = 'ERR library name argument was not given';
export const functionListArgument = (arg: string): string => sanitize(`ERR Unknown argument ${arg}`);
export const FUNCTION_FLUSH_OPTION = 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option';
export const FUNCTION_RESTORE_POLICY = 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.';
export const FUNCTION_PAYLOAD_INVALID = 'ERR DUMP payload version or checksum are wrong';
export const FUNCTION_PRE_GA_NAME = 'ERR Failed loading library name';
export const FUNCTION_PRE_GA_ENGINE = 'ERR Failed loading engine name';
export const FUNCTION_PRE_GA_DESC_FLAG = 'ERR Failed loading library description indicator';
export const FUNCTION_PRE_GA_DESC = 'ERR Failed loading library description';
export const FUNCTION_PRE_GA_BODY = 'ERR Failed loading library blob';
export const FUNCTION_PAYLOAD_NOT_FUNCTION = 'ERR given type is not a function';
export const FUNCTION_PAYLOAD_LIBRARY = 'ERR Failed loading library payload';

/** CONFIG SET maxclients past what the descriptor limit allows (Redis's updateMaxclients). */
export const maxclientsOverFileLimit = (room: number): string =>
  `The operating system is not able to handle the specified number of clients, try with ${room}`;

/**
 * maxmemory past what this process's V8 heap can hold (startup or CONFIG SET): the heap is sized
 * only when the process starts, so the fix is a restart with the larger value (docs/memory.md).
 */
export const maxmemoryOverHeap = (requested: bigint, capacity: number, oldGeneration: number | null, system: number): string =>
  `maxmemory ${requested} is more than this process can hold: at most ${capacity} bytes, ` +
  (oldGeneration !== null
    ? `half of V8's old generation limit of ${oldGeneration} bytes. Set it in the configuration and start the server ` +
      'with the redoubt launcher (or node --max-old-space-size) so the heap is sized for it'
    : `half of the ${system} bytes of memory this system gives the process`);

// --- client-side caching (CLIENT TRACKING, CLIENT CACHING), as Redis 7.0's networking.c and tracking.c ---
export const TRACKING_ONE_REDIRECT = 'ERR A client can only redirect to a single other client';
export const TRACKING_NO_SUCH_REDIRECT = 'ERR The client ID you want redirect to does not exist';
export const TRACKING_PREFIX_NEEDS_BCAST = 'ERR PREFIX option requires BCAST mode to be enabled';
export const TRACKING_BCAST_SWITCH =
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
export const TRACKING_OPT_WITH_BCAST = 'ERR OPTIN and OPTOUT are not compatible with BCAST';
export const TRACKING_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode";
export const TRACKING_OPT_SWITCH =
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
export const trackingPrefixOverlapsExisting = (prefix: string, existing: string): string =>
  sanitize(`ERR Prefix '${prefix}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`);
export const trackingPrefixOverlapsGiven = (prefix: string, other: string): string =>
  sanitize(`ERR Prefix '${prefix}' overlaps with another provided prefix '${other}'. Prefixes for a single client must not overlap.`);
export const CACHING_NOT_TRACKING =
  'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled';
export const CACHING_YES_NOT_OPTIN = 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.';
export const CACHING_NO_NOT_OPTOUT = 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.';

// --- AOF ---
export const AOF_REWRITE_FAILED = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.";
export const WAITAOF_NUMLOCAL_RANGE = 'ERR value is out of range, value must between 0 and 1';
export const WAITAOF_ON_REPLICA = 'ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.';
export const WAITAOF_APPENDONLY_OFF = 'ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.';
/** Writes refused while the AOF cannot be written (Redis's writeCommandsDeniedByDiskError, AOF case). */
export const aofMisconf = (reason: string): string => `MISCONF Errors writing to the AOF file: ${reason}`;

// --- cluster and MIGRATE ---
export const CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
export const SELECT_IN_CLUSTER = 'ERR SELECT is not allowed in cluster mode';
export const MOVE_IN_CLUSTER = 'ERR MOVE is not allowed in cluster mode';
export const SWAPDB_IN_CLUSTER = 'ERR SWAPDB is not allowed in cluster mode';
export const COPY_DB_IN_CLUSTER = 'ERR Copying to another database is not allowed in cluster mode';
export const INVALID_SLOT = 'ERR Invalid slot';
export const SCRIPT_NO_CLUSTER = "ERR Can not run script on cluster, 'no-cluster' flag is set.";
export const SCRIPT_NON_LOCAL_KEY = 'ERR Script attempted to access a non local key in a cluster node';
export const SCRIPT_CROSS_SLOT = 'ERR Script attempted to access keys that do not hash to the same slot';
export const unknownClusterNode = (id: string): string => sanitize(`ERR Unknown node ${id}`);
export const INVALID_SLOT_OR_COUNT = 'ERR Invalid slot or number of keys';
/** A CLUSTER subcommand an emulated single node does not serve (it manages no other nodes). */
export const clusterEmulatedOnly = (sub: string): string =>
  `ERR CLUSTER ${sub.toUpperCase()} is not supported by an emulated cluster node (cluster-emulated yes)`;
// Cluster mode (cluster-enabled yes): redirections and the CLUSTER subcommands' refusals, as Redis 7.0.
export const clusterMoved = (ask: boolean, slot: number, endpoint: string, port: number): string =>
  sanitize(`${ask ? 'ASK' : 'MOVED'} ${slot} ${endpoint}:${port}`);
/** CONFIG SET tls-cluster in cluster mode: the bus is TLS or plain TCP from its start to its end. */
export const TLS_CLUSTER_FIXED = 'tls-cluster cannot change while this node is in cluster mode: the cluster bus reads it at startup';
export const REPLICAOF_IN_CLUSTER = 'ERR REPLICAOF not allowed in cluster mode.';
export const CLUSTER_FAILOVER_NOT_REPLICA = 'ERR You should send CLUSTER FAILOVER to a replica';
export const CLUSTER_FAILOVER_MASTER_DOWN = 'ERR Master is down or failed, please use CLUSTER FAILOVER FORCE';
export const CLUSTER_FAILOVER_MASTER_UNKNOWN = "ERR I'm a replica but my master is unknown to me";
export const TRYAGAIN = 'TRYAGAIN Multiple keys request during rehashing of slot';
export const CLUSTERDOWN = 'CLUSTERDOWN The cluster is down';
export const CLUSTERDOWN_RO = 'CLUSTERDOWN The cluster is down and only accepts read commands';
export const CLUSTERDOWN_UNBOUND = 'CLUSTERDOWN Hash slot not served';
export const INVALID_SLOT_RANGE = 'ERR Invalid or out of range slot';
export const invalidMeetPort = (bus: boolean, text: string): string => sanitize(`ERR Invalid TCP ${bus ? 'bus' : 'base'} port specified: ${text}`);
export const invalidMeetAddress = (ip: string, port: string): string => sanitize(`ERR Invalid node address specified: ${ip}:${port}`);
export const meetNotAllowed = (ip: string): string =>
  sanitize(`ERR ${ip} is not in cluster-allowed-peers: this node does not talk to it on the cluster bus`);
export const slotUnassigned = (slot: number): string => `ERR Slot ${slot} is already unassigned`;
export const slotBusy = (slot: number): string => `ERR Slot ${slot} is already busy`;
export const slotTwice = (slot: number): string => `ERR Slot ${slot} specified multiple times`;
export const slotRangeReversed = (a: number, b: number): string => `ERR start slot number ${a} is greater than end slot number ${b}`;
export const SETSLOT_ONLY_MASTERS = 'ERR Please use SETSLOT only with masters.';
export const notSlotOwner = (slot: number): string => `ERR I'm not the owner of hash slot ${slot}`;
export const alreadySlotOwner = (slot: number): string => `ERR I'm already the owner of hash slot ${slot}`;
export const dontKnowNode = (id: string): string => sanitize(`ERR I don't know about node ${id}`);
export const TARGET_NOT_MASTER = 'ERR Target node is not a master';
export const slotHasKeys = (slot: number): string =>
  `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`;
export const SETSLOT_SYNTAX = 'ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP';
export const FORGET_MYSELF = "ERR I tried hard but I can't forget myself...";
export const FORGET_MY_MASTER = "ERR Can't forget my master!";
export const REPLICATE_MYSELF = "ERR Can't replicate myself";
export const REPLICATE_REPLICA = 'ERR I can only replicate a master, not a replica.';
export const REPLICATE_NOT_EMPTY = 'ERR To set a master the node must be empty and without assigned slots.';
export const NOT_A_MASTER = 'ERR The specified node is not a master';
export const invalidConfigEpoch = (n: bigint): string => `ERR Invalid config epoch specified: ${n}`;
export const CONFIG_EPOCH_KNOWS_OTHERS = 'ERR The user can assign a config epoch only when the node does not know any other node.';
export const CONFIG_EPOCH_NONZERO = 'ERR Node config epoch is already non-zero';
export const RESET_WITH_KEYS = "ERR CLUSTER RESET can't be called with master nodes containing keys";
export const FLUSHSLOTS_NOT_EMPTY = 'ERR DB must be empty to perform CLUSTER FLUSHSLOTS.';
export const saveClusterConfigFailed = (why: string): string => sanitize(`ERR error saving the cluster node config: ${why}`);
/** MIGRATE waits on the network, which a transaction or a script cannot do. */
export const MIGRATE_CANNOT_WAIT = 'ERR MIGRATE of existing keys cannot run inside MULTI/EXEC or a script';
export const MIGRATE_KEYS_NEEDS_EMPTY_KEY = 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string';
export const MIGRATE_IOERR_CONNECT = 'IOERR error or timeout connecting to the client';
export const migrateIoerr = (writing: boolean): string => `IOERR error or timeout ${writing ? 'writing' : 'reading'} to target instance`;
/** The first error line the target answered, after its leading '-' (Redis's errbuf+1). */
export const migrateTargetError = (line: string): string => sanitize(`ERR Target instance replied with error: ${line}`);
/** A key written on this instance while MIGRATE waited for the target: kept here, not deleted. */
export const MIGRATE_KEY_CHANGED =
  'ERR A key was modified during MIGRATE: the target has the value it had before, and it was kept on this instance';

// --- replication ---
export const NOMASTERLINK_SYNC = "NOMASTERLINK Can't SYNC while not connected with my master";
export const NOMASTERLINK_FAILOVER = "NOMASTERLINK Can't SYNC while failing over";
export const PSYNC_FAILOVER_MASTER = "ERR PSYNC FAILOVER can't be sent to a master.";
export const PSYNC_FAILOVER_REPLID = 'ERR PSYNC FAILOVER replid must match my replid.';
export const FAILOVER_CLUSTER = 'ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.';
export const FAILOVER_NONE = 'ERR No failover in progress.';
export const FAILOVER_TIMEOUT = 'ERR FAILOVER timeout must be greater than 0';
export const FAILOVER_ALREADY = 'ERR FAILOVER already in progress.';
export const FAILOVER_ON_REPLICA = 'ERR FAILOVER is not valid when server is a replica.';
export const FAILOVER_NO_REPLICAS = 'ERR FAILOVER requires connected replicas.';
export const FAILOVER_FORCE = 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
export const FAILOVER_NOT_REPLICA = 'ERR FAILOVER target HOST and PORT is not a replica.';
export const FAILOVER_NOT_ONLINE = 'ERR FAILOVER target replica is not online.';
export const REPLICAOF_FAILING_OVER = 'ERR REPLICAOF not allowed while failing over.';
export const FAILOVER_NOT_ALLOWED = (hostPort: string): string =>
  `ERR FAILOVER to ${hostPort} refused: not in replica-allowed-primaries (set it in the config file to the primaries this server may follow)`;
export const FAILOVER_NONE_ALLOWED =
  'ERR FAILOVER refused: no connected replica is in replica-allowed-primaries (set it in the config file to the primaries this server may follow)';
export const replconfUnknown = (opt: string): string => `ERR Unrecognized REPLCONF option: ${opt}`;
export const replconfFilter = (value: string): string => `ERR Unsupported rdb-filter-only option: ${value}`;
export const replconfIpTooLong = (): string => 'ERR REPLCONF ip-address provided by replica instance is too long';
export const WAIT_ON_REPLICA = 'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.';
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.';
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const NOT_ALLOWED_PRIMARY = (hostPort: string): string =>
  `ERR REPLICAOF ${hostPort} refused: not in replica-allowed-primaries (set it in the config file to the primaries this server may follow)`;

/* The C half of Redoubt's Lua engine: one Lua 5.1 state per WebAssembly instance, set up as
 * Redis sets up its scripting VM (libraries, redis.* API, read-only globals), plus the two
 * conversions that must match Redis byte for byte: RESP -> Lua for redis.call replies, and
 * Lua -> a tagged stream that src/scripting/tagged-reply.ts renders through the Reply interface. */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lstate.h"
#include "ldo.h"
#include "lvm.h"
#include "ltable.h"

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

/* ---- host imports -------------------------------------------------------------------- */

/* Runs the command in io_buf (see put_argv); writes its RESP reply via rd_reserve and
 * returns the reply length, or -1 when the reply does not fit in io_buf's limit. */
IMPORT(rd_host_call) int rd_host_call(int resp);
/* Nonzero when the running script must stop (SCRIPT KILL, FUNCTION KILL, shutdown). */
IMPORT(rd_host_interrupt) int rd_host_interrupt(void);
IMPORT(rd_host_log) void rd_host_log(int level, const char *msg, size_t len);
/* Writes the 40 hex digits of SHA1(s) to out. */
IMPORT(rd_host_sha1hex) void rd_host_sha1hex(const char *s, size_t len, char *out);
/* Whether the script's user may run the command in io_buf (see put_argv): 1 yes, 0 no, -1 when
 * no such command exists. */
IMPORT(rd_host_acl_check) int rd_host_acl_check(void);

/* ---- state ---------------------------------------------------------------------------- */

static lua_State *L;
static size_t mem_used, mem_limit;
static int running;        /* inside rd_call: redis.call and friends are allowed */
static int script_resp;    /* redis.setresp() for this invocation */
static int killed;

/* One buffer for traffic in both directions: arguments in, replies out. It holds at most
 * io_limit bytes (the memory cap, or IO_DEFAULT_LIMIT without one): a script's reply, a
 * command's arguments or reply past it fail (io_failed) instead of growing the module's
 * memory without bound. */
#define IO_DEFAULT_LIMIT ((size_t)512 << 20)
static char *io_buf;
static size_t io_cap, io_len, io_limit = IO_DEFAULT_LIMIT;
static int io_failed;

static int io_need(size_t n) {
  if (io_failed) return 0;
  if (n <= io_cap - io_len) return 1;
  if (n > io_limit || io_len > io_limit - n) {
    io_failed = 1;
    return 0;
  }
  size_t cap = io_cap ? io_cap : 4096;
  while (cap < io_len + n) cap *= 2;
  if (cap > io_limit) cap = io_limit;
  char *p = realloc(io_buf, cap);
  if (!p) {
    io_failed = 1;
    return 0;
  }
  io_buf = p;
  io_cap = cap;
  return 1;
}

static void io_reset(void) {
  io_len = 0;
  io_failed = 0;
}

/* Room for n bytes from the host, or NULL past the limit. */
EXPORT(rd_reserve) char *rd_reserve(size_t n) {
  io_reset();
  return n < io_limit && io_need(n + 1) ? io_buf : NULL;
}
EXPORT(rd_io) char *rd_io(void) { return io_buf; }
EXPORT(rd_io_len) size_t rd_io_len(void) { return io_len; }

/* The host's try: a protected call jumps back here through a host exception. */
EXPORT(rd_call_pfunc) void rd_call_pfunc(void (*f)(lua_State *, void *), lua_State *l, void *ud) {
  f(l, ud);
}

/* Counts every byte Lua holds and refuses growth past the limit; Lua then raises
 * "not enough memory", which a script cannot get around. */
static void *rd_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    mem_used -= osize;
    return NULL;
  }
  if (nsize > osize && mem_limit && mem_used - osize + nsize > mem_limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) mem_used = mem_used - osize + nsize;
  return p;
}

EXPORT(rd_memory) size_t rd_memory(void) { return mem_used; }
EXPORT(rd_set_limit) void rd_set_limit(size_t limit) {
  mem_limit = limit;
  io_limit = limit ? limit : IO_DEFAULT_LIMIT;
}
EXPORT(rd_gc_step) void rd_gc_step(int n) { lua_gc(L, LUA_GCSTEP, n); }
EXPORT(rd_gc_full) void rd_gc_full(void) { lua_gc(L, LUA_GCCOLLECT, 0); }
EXPORT(rd_resp) int rd_resp(void) { return script_resp; }

/* ---- errors as Redis shapes them ------------------------------------------------------ */

/* Pushes {err = "CODE message"}: a leading '-' names the code, otherwise it is ERR. */
static void push_error(lua_State *l, const char *s, size_t len) {
  luaL_Buffer b;
  luaL_buffinit(l, &b);
  if (len > 0 && s[0] == '-') {
    const char *sp = memchr(s, ' ', len);
    if (!sp) {
      luaL_addstring(&b, "ERR ");
      luaL_addlstring(&b, s + 1, len - 1);
    } else {
      luaL_addlstring(&b, s + 1, (size_t)(sp - s - 1));
      luaL_addchar(&b, ' ');
      luaL_addlstring(&b, sp + 1, len - (size_t)(sp - s) - 1);
    }
  } else {
    luaL_addstring(&b, "ERR ");
    luaL_addlstring(&b, s, len);
  }
  luaL_pushresult(&b);
  /* Redis trims trailing CR/LF from the message. */
  size_t n;
  const char *m = lua_tolstring(l, -1, &n);
  size_t end = n;
  while (end > 0 && (m[end - 1] == '\r' || m[end - 1] == '\n')) end--;
  if (end != n) {
    lua_pushlstring(l, m, end);
    lua_remove(l, -2);
  }
  lua_newtable(l);
  lua_pushstring(l, "err");
  lua_pushvalue(l, -3);
  lua_rawset(l, -3);
  lua_remove(l, -2);
}

static void push_error_cstr(lua_State *l, const char *s) { push_error(l, s, strlen(s)); }

/* Raises the error table on top of the stack. */
static int raise_table(lua_State *l) { return lua_error(l); }


/* Shapes the error value at index 1 of l as Redis's error handler does: anything but a table
 * becomes {err = "ERR " .. msg}, and the source and line of the Lua code that failed are
 * added, read from the stack of `where` at `level` (a C function that raised the error, such
 * as error() itself, is skipped). */
static int annotate_error(lua_State *l, lua_State *where, int level) {
  lua_Debug ar;
  int have = lua_getstack(where, level, &ar) && lua_getinfo(where, "nSl", &ar);
  if (have && strcmp(ar.what, "C") == 0)
    have = lua_getstack(where, level + 1, &ar) && lua_getinfo(where, "nSl", &ar);
  if (!lua_istable(l, 1)) {
    lua_getfield(l, LUA_REGISTRYINDEX, "redoubt.tostring");
    lua_pushvalue(l, 1);
    lua_call(l, 1, 1);
    lua_pushstring(l, "ERR ");
    lua_insert(l, -2);
    lua_concat(l, 2);
    lua_newtable(l);
    lua_pushstring(l, "err");
    lua_pushvalue(l, -3);
    lua_rawset(l, -3);
    lua_replace(l, 1);
    lua_settop(l, 1);
  }
  if (have && !lua_isreadonlytable(l, 1)) {
    lua_pushstring(l, "source");
    lua_pushstring(l, ar.source);
    lua_rawset(l, 1);
    lua_pushstring(l, "line");
    lua_pushinteger(l, ar.currentline);
    lua_rawset(l, 1);
  }
  lua_settop(l, 1);
  return 1;
}

/* As a protected call's error function, level 1 is the function that raised the error. */
static int error_handler(lua_State *l) { return annotate_error(l, l, 1); }

/* ---- redis.call: Lua arguments out, RESP reply in ------------------------------------- */

static void io_put_u32(uint32_t v) {
  if (!io_need(4)) return;
  memcpy(io_buf + io_len, &v, 4);
  io_len += 4;
}

static void io_put(const char *s, size_t n) {
  if (!io_need(n)) return;
  memcpy(io_buf + io_len, s, n);
  io_len += n;
}

/* Writes argc and the arguments as length-prefixed strings. Numbers use %.17g, as Redis
 * does, because Lua's own %.14g loses precision. Returns 0 if an argument is neither. */
static int put_argv(lua_State *l, int argc) {
  io_reset();
  io_put_u32((uint32_t)argc);
  for (int j = 1; j <= argc; j++) {
    char dbuf[64];
    const char *s;
    size_t n;
    if (lua_type(l, j) == LUA_TNUMBER) {
      n = (size_t)snprintf(dbuf, sizeof dbuf, "%.17g", (double)lua_tonumber(l, j));
      s = dbuf;
    } else {
      s = lua_tolstring(l, j, &n);
      if (!s) return 0;
    }
    io_put_u32((uint32_t)n);
    io_put(s, n);
  }
  return 1;
}

/* RESP -> Lua, as Redis converts a command's reply for the script. */
typedef struct { const char *p, *end; } Cursor;

static const char *line_end(Cursor *c) {
  const char *e = c->p;
  while (e + 1 < c->end && !(e[0] == '\r' && e[1] == '\n')) e++;
  return e;
}

static long long parse_ll(const char *s, const char *e) {
  int neg = 0;
  long long v = 0;
  if (s < e && *s == '-') { neg = 1; s++; }
  while (s < e) v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

static void resp_to_lua(lua_State *l, Cursor *c, int push);

static void push_bulkish(lua_State *l, Cursor *c, const char *hdr_end, int push, int verbatim) {
  long long n = parse_ll(c->p + 1, hdr_end);
  c->p = hdr_end + 2;
  if (n < 0) {
    if (push) lua_pushboolean(l, 0);
    return;
  }
  const char *s = c->p;
  c->p += n + 2;
  if (!push) return;
  if (verbatim) {
    lua_newtable(l);
    lua_pushstring(l, "verbatim_string");
    lua_newtable(l);
    lua_pushstring(l, "string");
    lua_pushlstring(l, s + 4, (size_t)n - 4);
    lua_rawset(l, -3);
    lua_pushstring(l, "format");
    lua_pushlstring(l, s, 3);
    lua_rawset(l, -3);
    lua_rawset(l, -3);
  } else {
    lua_pushlstring(l, s, (size_t)n);
  }
}

static void resp_to_lua(lua_State *l, Cursor *c, int push) {
  if (push) luaL_checkstack(l, 4, "reply too deep");
  char type = *c->p;
  const char *e = line_end(c);
  const char *body = c->p + 1;
  size_t blen = (size_t)(e - body);
  switch (type) {
  case '+':
    c->p = e + 2;
    if (!push) return;
    lua_newtable(l);
    lua_pushstring(l, "ok");
    lua_pushlstring(l, body, blen);
    lua_rawset(l, -3);
    return;
  case '-':
    c->p = e + 2;
    if (!push) return;
    {
      /* push_error wants the leading '-' to find the code */
      push_error(l, body - 1, blen + 1);
      lua_pushstring(l, "ignore_error_stats_update");
      lua_pushboolean(l, 1);
      lua_rawset(l, -3);
    }
    return;
  case ':':
    c->p = e + 2;
    if (push) lua_pushnumber(l, (lua_Number)parse_ll(body, e));
    return;
  case '$':
    push_bulkish(l, c, e, push, 0);
    return;
  case '=':
    push_bulkish(l, c, e, push, 1);
    return;
  case '_':
    c->p = e + 2;
    if (push) lua_pushnil(l);
    return;
  case '#':
    c->p = e + 2;
    if (push) lua_pushboolean(l, *body == 't');
    return;
  case ',': {
    c->p = e + 2;
    if (!push) return;
    char tmp[64];
    size_t n = blen < sizeof tmp - 1 ? blen : sizeof tmp - 1;
    memcpy(tmp, body, n);
    tmp[n] = 0;
    lua_newtable(l);
    lua_pushstring(l, "double");
    lua_pushnumber(l, strtod(tmp, NULL));
    lua_rawset(l, -3);
    return;
  }
  case '(':
    c->p = e + 2;
    if (!push) return;
    lua_newtable(l);
    lua_pushstring(l, "big_number");
    lua_pushlstring(l, body, blen);
    lua_rawset(l, -3);
    return;
  case '*':
  case '>': {
    long long n = parse_ll(body, e);
    c->p = e + 2;
    if (n < 0) {
      if (push) lua_pushboolean(l, 0);
      return;
    }
    if (push) lua_newtable(l);
    for (long long j = 0; j < n; j++) {
      if (push) lua_pushnumber(l, (lua_Number)(j + 1));
      resp_to_lua(l, c, push);
      if (push) lua_rawset(l, -3);
    }
    return;
  }
  case '%':
  case '~': {
    long long n = parse_ll(body, e);
    c->p = e + 2;
    if (push) {
      lua_newtable(l);
      lua_pushstring(l, type == '%' ? "map" : "set");
      lua_newtable(l);
    }
    for (long long j = 0; j < n; j++) {
      resp_to_lua(l, c, push);
      if (type == '%') resp_to_lua(l, c, push);
      else if (push) lua_pushboolean(l, 1);
      if (push) lua_rawset(l, -3);
    }
    if (push) lua_rawset(l, -3);
    return;
  }
  case '|': {
    /* attributes are read and dropped; the reply that follows is what the script sees */
    long long n = parse_ll(body, e);
    c->p = e + 2;
    for (long long j = 0; j < 2 * n; j++) resp_to_lua(l, c, 0);
    resp_to_lua(l, c, push);
    return;
  }
  default:
    c->p = c->end;
    if (push) lua_pushnil(l);
  }
}

static int generic_call(lua_State *l, int raise_error) {
  if (!running) {
    push_error_cstr(l, "redis.call/pcall can only be called inside a script invocation");
    return lua_error(l);
  }
  int argc = lua_gettop(l);
  if (argc == 0) {
    push_error_cstr(l, "Please specify at least one argument for this redis lib call");
    return raise_error ? lua_error(l) : 1;
  }
  if (!put_argv(l, argc)) {
    lua_settop(l, 0);
    push_error_cstr(l, "Lua redis lib command arguments must be strings or integers");
    return raise_error ? lua_error(l) : 1;
  }
  /* arguments or a reply too large for io_buf fail as an allocation past the cap would */
  if (io_failed) luaD_throw(l, LUA_ERRMEM);
  lua_settop(l, 0);
  int n = rd_host_call(script_resp);
  if (n < 0) luaD_throw(l, LUA_ERRMEM);
  Cursor c = { io_buf, io_buf + n };
  int is_error = n > 0 && io_buf[0] == '-';
  resp_to_lua(l, &c, 1);
  if (raise_error && is_error) return lua_error(l);
  return 1;
}

static int redis_call(lua_State *l) { return generic_call(l, 1); }
static int redis_pcall(lua_State *l) { return generic_call(l, 0); }

/* pcall that hands back the message of a Redis error table instead of the table, as
 * Redis 7 does for scripts written against the string errors of older versions. */
static int lua_pcall_compat(lua_State *l) {
  int argc = lua_gettop(l);
  luaL_checkany(l, 1);
  lua_pushboolean(l, 1);
  lua_insert(l, 1);
  if (lua_pcall(l, argc - 1, LUA_MULTRET, 0)) {
    lua_remove(l, 1);
    if (lua_istable(l, -1)) {
      lua_getfield(l, -1, "err");
      if (lua_isstring(l, -1)) lua_replace(l, -2);
      else lua_pop(l, 1);
    }
    lua_pushboolean(l, 0);
    lua_insert(l, 1);
  }
  return lua_gettop(l);
}

/* ---- the rest of the redis.* API ------------------------------------------------------- */

static int redis_sha1hex(lua_State *l) {
  if (lua_gettop(l) != 1) {
    push_error_cstr(l, "wrong number of arguments");
    return raise_table(l);
  }
  size_t n;
  const char *s = lua_tolstring(l, 1, &n);
  char out[41];
  rd_host_sha1hex(s ? s : "", s ? n : 0, out);
  lua_pushlstring(l, out, 40);
  return 1;
}

static int redis_error_reply(lua_State *l) {
  if (lua_gettop(l) != 1 || lua_type(l, -1) != LUA_TSTRING) {
    push_error_cstr(l, "wrong number or type of arguments");
    return 1;
  }
  size_t n;
  const char *s = lua_tolstring(l, 1, &n);
  if (n > 0 && s[0] == '-') {
    push_error(l, s, n);
  } else {
    lua_pushstring(l, "-");
    lua_pushvalue(l, 1);
    lua_concat(l, 2);
    s = lua_tolstring(l, -1, &n);
    push_error(l, s, n);
  }
  return 1;
}

static int redis_status_reply(lua_State *l) {
  if (lua_gettop(l) != 1 || lua_type(l, -1) != LUA_TSTRING) {
    push_error_cstr(l, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(l);
  lua_pushstring(l, "ok");
  lua_pushvalue(l, 1);
  lua_rawset(l, -3);
  return 1;
}

static int redis_log(lua_State *l) {
  int argc = lua_gettop(l);
  if (argc < 2) {
    push_error_cstr(l, "redis.log() requires two arguments or more.");
    return raise_table(l);
  }
  if (!lua_isnumber(l, 1)) {
    push_error_cstr(l, "First argument must be a number (log level).");
    return raise_table(l);
  }
  int level = (int)lua_tonumber(l, 1);
  if (level < 0 || level > 3) {
    push_error_cstr(l, "Invalid debug level.");
    return raise_table(l);
  }
  luaL_Buffer b;
  luaL_buffinit(l, &b);
  for (int j = 2; j <= argc; j++) {
    size_t n;
    const char *s = lua_tolstring(l, j, &n);
    if (!s) continue;
    if (j != 2) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, s, n);
  }
  luaL_pushresult(&b);
  size_t n;
  const char *msg = lua_tolstring(l, -1, &n);
  rd_host_log(level, msg, n);
  return 0;
}

/* redis.acl_check_cmd(command, arg...): whether the calling user may run it, as Redis 7.0. */
static int redis_acl_check_cmd(lua_State *l) {
  if (!running) {
    push_error_cstr(l, "redis.acl_check_cmd can only be called inside a script invocation");
    return raise_table(l);
  }
  int argc = lua_gettop(l);
  if (argc == 0) {
    push_error_cstr(l, "Please specify at least one argument for this redis lib call");
    return raise_table(l);
  }
  if (!put_argv(l, argc)) {
    lua_settop(l, 0);
    push_error_cstr(l, "Lua redis lib command arguments must be strings or integers");
    return raise_table(l);
  }
  if (io_failed) luaD_throw(l, LUA_ERRMEM);
  lua_settop(l, 0);
  int allowed = rd_host_acl_check();
  if (allowed < 0) {
    push_error_cstr(l, "Invalid command passed to redis.acl_check_cmd()");
    return raise_table(l);
  }
  lua_pushboolean(l, allowed);
  return 1;
}

static int redis_setresp(lua_State *l) {
  if (!running) {
    push_error_cstr(l, "redis.setresp can only be called inside a script invocation");
    return raise_table(l);
  }
  if (lua_gettop(l) != 1) {
    push_error_cstr(l, "redis.setresp() requires one argument.");
    return raise_table(l);
  }
  int resp = (int)lua_tonumber(l, 1);
  if (resp != 2 && resp != 3) {
    push_error_cstr(l, "RESP version must be 2 or 3.");
    return raise_table(l);
  }
  script_resp = resp;
  return 0;
}

/* redis.set_repl and redis.replicate_commands are effect-replication knobs; with effects
 * always replicated they validate and otherwise do nothing here. */
static int redis_set_repl(lua_State *l) {
  if (!running) {
    push_error_cstr(l, "redis.set_repl can only be called inside a script invocation");
    return raise_table(l);
  }
  if (lua_gettop(l) != 1) {
    push_error_cstr(l, "redis.set_repl() requires two arguments.");
    return raise_table(l);
  }
  int flags = (int)lua_tonumber(l, -1);
  if ((flags & ~3) != 0) {
    push_error_cstr(l, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return raise_table(l);
  }
  return 0;
}

static int redis_replicate_commands(lua_State *l) {
  lua_pushboolean(l, 1);
  return 1;
}

/* ---- math.random: Redis's own 48-bit generator, the same sequence on every platform --- */

static uint64_t rand48 = 0x1234ABCD330EULL;

static int32_t lrand48_next(void) {
  rand48 = (rand48 * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
  return (int32_t)(rand48 >> 17);
}

static int math_random(lua_State *l) {
  if (!running) return luaL_error(l, "math.random can only be called inside a script invocation");
  lua_Number r = (lua_Number)(lrand48_next() % INT32_MAX) / (lua_Number)INT32_MAX;
  switch (lua_gettop(l)) {
  case 0:
    lua_pushnumber(l, r);
    break;
  case 1: {
    int u = luaL_checkint(l, 1);
    luaL_argcheck(l, 1 <= u, 1, "interval is empty");
    lua_pushnumber(l, floor(r * u) + 1);
    break;
  }
  case 2: {
    int lo = luaL_checkint(l, 1);
    int up = luaL_checkint(l, 2);
    luaL_argcheck(l, lo <= up, 2, "interval is empty");
    lua_pushnumber(l, floor(r * (up - lo + 1)) + lo);
    break;
  }
  default:
    return luaL_error(l, "wrong number of arguments");
  }
  return 1;
}

static int math_randomseed(lua_State *l) {
  if (!running) return luaL_error(l, "math.randomseed can only be called inside a script invocation");
  uint32_t seed = (uint32_t)luaL_checkint(l, 1);
  rand48 = ((uint64_t)seed << 16) | 0x330E;
  return 0;
}

/* ---- globals: the error on reading an unknown one, and read-only tables ---------------- */

static int global_index_error(lua_State *l) {
  if (lua_gettop(l) != 2) luaL_error(l, "Wrong number of arguments to luaProtectedTableError");
  if (!lua_isstring(l, -1) && !lua_isnumber(l, -1))
    luaL_error(l, "Second argument to luaProtectedTableError must be a string or number");
  return luaL_error(l, "Script attempted to access nonexistent global variable '%s'", lua_tostring(l, -1));
}

/* Marks the table on top of the stack, the tables it holds and their metatables. */
static void protect_recursively(lua_State *l) {
  if (lua_isreadonlytable(l, -1)) return;
  lua_enablereadonlytable(l, -1, 1);
  luaL_checkstack(l, 2, "protect");
  lua_pushnil(l);
  while (lua_next(l, -2)) {
    if (lua_istable(l, -1)) protect_recursively(l);
    lua_pop(l, 1);
  }
  if (lua_getmetatable(l, -1)) {
    protect_recursively(l);
    lua_pop(l, 1);
  }
}

static void set_field_fn(lua_State *l, const char *name, lua_CFunction f) {
  lua_pushcfunction(l, f);
  lua_setfield(l, -2, name);
}

static void set_field_num(lua_State *l, const char *name, lua_Number v) {
  lua_pushnumber(l, v);
  lua_setfield(l, -2, name);
}

static void open_lib(lua_State *l, const char *name, lua_CFunction f) {
  lua_pushcfunction(l, f);
  lua_pushstring(l, name);
  lua_call(l, 1, 0);
}

/* ---- Redis's Lua libraries: cjson, struct, cmsgpack, bit ------------------------------ */
/* Compiled from Redis's own sources by build.sh, which routes their allocations here:
 * cjson's string buffers (malloc in Redis, so outside used_memory_lua) get their own count
 * under the same cap, cmsgpack's buffer goes through the Lua allocator as in Redis, and
 * either raises "not enough memory" where the library would abort or write through NULL. */

int luaopen_cjson(lua_State *l);
int luaopen_struct(lua_State *l);
int luaopen_cmsgpack(lua_State *l);
int luaopen_bit(lua_State *l);

static lua_State *lib_L;   /* the thread that last entered cjson or cmsgpack */
static size_t lib_used;    /* bytes held by cjson's buffers */

__attribute__((noreturn)) static void lib_nomem(void) {
  luaD_throw(lib_L, LUA_ERRMEM);
  __builtin_unreachable();
}

/* Each block carries its size, for the count. */
typedef union { size_t size; long double align; } LibBlock;

void *rd_lib_realloc(void *ptr, size_t n) {
  LibBlock *b = ptr ? (LibBlock *)ptr - 1 : NULL;
  size_t old = b ? b->size : 0;
  if (n > SIZE_MAX - sizeof(LibBlock)) lib_nomem();
  if (n > old && mem_limit && lib_used - old + n > mem_limit) lib_nomem();
  b = realloc(b, sizeof(LibBlock) + n);
  if (!b) lib_nomem();
  lib_used = lib_used - old + n;
  b->size = n;
  return b + 1;
}

void *rd_lib_malloc(size_t n) { return rd_lib_realloc(NULL, n); }

void rd_lib_free(void *ptr) {
  if (!ptr) return;
  LibBlock *b = (LibBlock *)ptr - 1;
  lib_used -= b->size;
  free(b);
}

/* cjson reaches its config through these first thing in every function, which tells us
 * the running thread (a coroutine has its own error chain). */
void *rd_lib_touserdata(lua_State *l, int idx) {
  lib_L = l;
  return lua_touserdata(l, idx);
}

void *rd_lib_newuserdata(lua_State *l, size_t size) {
  lib_L = l;
  return lua_newuserdata(l, size);
}

/* Only mp_buf_append grows a block; on refusal its pack is abandoned, so the old buffer
 * is freed rather than leaked. */
static void *lib_mp_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  void *p = rd_alloc(ud, ptr, osize, nsize);
  if (p || nsize == 0) return p;
  if (ptr) rd_alloc(ud, ptr, osize, 0);
  lib_nomem();
}

lua_Alloc rd_lib_getallocf(lua_State *l, void **ud) {
  lib_L = l;
  lua_getallocf(l, ud);
  return lib_mp_alloc;
}

/* luaL_checkinteger and luaL_optinteger for the libraries, as on x86-64: a 64-bit
 * lua_Integer, and INT64_MIN for a number out of its range. */
long long rd_lib_checkinteger(lua_State *l, int narg) {
  lua_Number d = luaL_checknumber(l, narg);
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return (long long)d;
}

long long rd_lib_optinteger(lua_State *l, int narg, long long def) {
  return lua_isnoneornil(l, narg) ? def : rd_lib_checkinteger(l, narg);
}

/* As Redis's luaLoadLibraries: each library sets its own global, and rd_seal later makes
 * them read-only with the rest of _G. */
static void open_redis_libs(lua_State *l) {
  lib_L = l;
  open_lib(l, "cjson", luaopen_cjson);
  open_lib(l, "struct", luaopen_struct);
  open_lib(l, "cmsgpack", luaopen_cmsgpack);
  open_lib(l, "bit", luaopen_bit);
}

/* Globals the base library brings that Redis 7.0 does not offer to scripts. */
static const char *const removed_globals[] = {
  "dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy", "module", "require",
  "package", "debug", "io", "os", NULL,
};

static int init_state(lua_State *l) {
  open_lib(l, "", luaopen_base);
  open_lib(l, LUA_TABLIBNAME, luaopen_table);
  open_lib(l, LUA_STRLIBNAME, luaopen_string);
  open_lib(l, LUA_MATHLIBNAME, luaopen_math);
  open_redis_libs(l);
  for (const char *const *g = removed_globals; *g; g++) {
    lua_pushnil(l);
    lua_setglobal(l, *g);
  }
  lua_getglobal(l, "tostring");
  lua_setfield(l, LUA_REGISTRYINDEX, "redoubt.tostring");
  lua_pushcfunction(l, lua_pcall_compat);
  lua_setglobal(l, "pcall");

  lua_getglobal(l, "math");
  set_field_fn(l, "random", math_random);
  set_field_fn(l, "randomseed", math_randomseed);
  lua_pop(l, 1);

  lua_newtable(l);
  set_field_fn(l, "call", redis_call);
  set_field_fn(l, "pcall", redis_pcall);
  set_field_fn(l, "log", redis_log);
  set_field_num(l, "LOG_DEBUG", 0);
  set_field_num(l, "LOG_VERBOSE", 1);
  set_field_num(l, "LOG_NOTICE", 2);
  set_field_num(l, "LOG_WARNING", 3);
  set_field_fn(l, "setresp", redis_setresp);
  set_field_fn(l, "acl_check_cmd", redis_acl_check_cmd);
  set_field_fn(l, "sha1hex", redis_sha1hex);
  set_field_fn(l, "error_reply", redis_error_reply);
  set_field_fn(l, "status_reply", redis_status_reply);
  set_field_fn(l, "set_repl", redis_set_repl);
  set_field_fn(l, "replicate_commands", redis_replicate_commands);
  set_field_num(l, "REPL_NONE", 0);
  set_field_num(l, "REPL_AOF", 1);
  set_field_num(l, "REPL_SLAVE", 2);
  set_field_num(l, "REPL_REPLICA", 2);
  set_field_num(l, "REPL_ALL", 3);
  /* Valkey 8's name for the same table: `server.call` is `redis.call`. */
  lua_pushvalue(l, -1);
  lua_setglobal(l, "server");
  lua_setglobal(l, "redis");

  lua_pushcfunction(l, error_handler);
  lua_setglobal(l, "__redis__err__handler");
  return 0;
}

/* Called by the host once it has added its own fields (redis.REDIS_VERSION, the extra
 * libraries): from here on the globals and every library are read-only. */
EXPORT(rd_seal) void rd_seal(void) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_pushcfunction(L, global_index_error);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  protect_recursively(L);
  lua_pop(L, 1);
  /* the metatable shared by all strings ({__index = string}) */
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    protect_recursively(L);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* Sets redis.<name> = <string in io_buf> before sealing. */
EXPORT(rd_set_redis_string) void rd_set_redis_string(const char *name, size_t len) {
  lua_getglobal(L, "redis");
  lua_pushlstring(L, io_buf, len);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

EXPORT(rd_set_redis_number) void rd_set_redis_number(const char *name, double v) {
  lua_getglobal(L, "redis");
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

/* ---- lifecycle ----------------------------------------------------------------------- */

static int guard_coroutines(lua_State *l);

EXPORT(rd_init) int rd_init(size_t limit) {
  rd_set_limit(limit);
  L = lua_newstate(rd_alloc, NULL);
  if (!L) return 0;
  return lua_cpcall(L, init_state, NULL) == 0 && lua_cpcall(L, guard_coroutines, NULL) == 0;
}

/* Compiles the chunk in io_buf[0..len) under chunkname (a C string in io_buf after the
 * code). Returns a registry reference to the function, or 0 with the message in io_buf. */
EXPORT(rd_compile) int rd_compile(size_t len, size_t name_off) {
  int status = luaL_loadbuffer(L, io_buf, len, io_buf + name_off);
  if (status != 0) {
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    if (!msg) { msg = "error"; n = 5; }
    /* msg lives in the Lua heap; copying it over io_buf is safe */
    if (n >= io_limit) n = io_limit - 1;
    if (rd_reserve(n)) {
      memcpy(io_buf, msg, n);
      io_len = n;
    }
    lua_pop(L, 1);
    return 0;
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

EXPORT(rd_unref) void rd_unref(int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }

/* ---- Lua -> tagged stream ------------------------------------------------------------- */
/* Tags: 'B' len bytes | 'S' len status | 'E' len error | 'I' int64 | 'D' double | 'N' nil |
 * 'T'/'F' booleans | 'G' len big number | 'V' len(3 format + text) verbatim |
 * 'A'/'M'/'U' count: array, map (count pairs), set. Counts are patched after the walk. */

static void out_tag(char t) { io_put(&t, 1); }
static void out_str(char t, const char *s, size_t n) {
  out_tag(t);
  io_put_u32((uint32_t)n);
  io_put(s, n);
}

/* (long long) of a double as x86-64 computes it: out-of-range and NaN give INT64_MIN. */
static int64_t to_int64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return (int64_t)d;
}

static void lua_to_tagged(lua_State *l);

/* Pushes t[field] (no metamethods) for the table at idx, a negative index before the push. */
static int rawget_type_at(lua_State *l, int idx, const char *field) {
  lua_pushstring(l, field);
  lua_rawget(l, idx - 1);
  return lua_type(l, -1);
}

static int rawget_type(lua_State *l, const char *field) { return rawget_type_at(l, -1, field); }

/* True when the table on top of the stack holds nothing in its hash part (one node, unused), so
 * no string-keyed field can be there: a plain array such as {n, ttl} skips the seven lookups
 * (each a string hashed and interned) that tell an ok/err/double/... table. */
static int hash_part_empty(lua_State *l) {
  const Table *t = hvalue(l->top - 1);
  return t->lsizenode == 0 && ttisnil(gkey(t->node));
}

/* Converts and pops the value on top of the stack. Once io_buf is full (io_failed) the rest
 * of the value is skipped: a reply that references one large table many times must not take
 * minutes to be refused. */
static void lua_to_tagged(lua_State *l) {
  if (io_failed) {
    lua_pop(l, 1);
    return;
  }
  if (!lua_checkstack(l, 4)) {
    /* Redis's addReplyErrorFormat("reached lua stack limit") */
    const char *m = "ERR reached lua stack limit";
    out_str('E', m, strlen(m));
    lua_pop(l, 1);
    return;
  }
  switch (lua_type(l, -1)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(l, -1, &n);
    out_str('B', s, n);
    break;
  }
  case LUA_TBOOLEAN:
    out_tag(lua_toboolean(l, -1) ? 'T' : 'F');
    break;
  case LUA_TNUMBER: {
    int64_t v = to_int64(lua_tonumber(l, -1));
    out_tag('I');
    io_put((const char *)&v, 8);
    break;
  }
  case LUA_TTABLE: {
    size_t n;
    const char *s;
    if (hash_part_empty(l)) goto array;
    if (rawget_type(l, "err") == LUA_TSTRING) {
      s = lua_tolstring(l, -1, &n);
      out_str('E', s, n);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
    if (rawget_type(l, "ok") == LUA_TSTRING) {
      s = lua_tolstring(l, -1, &n);
      out_str('S', s, n);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
    if (rawget_type(l, "double") == LUA_TNUMBER) {
      double d = lua_tonumber(l, -1);
      out_tag('D');
      io_put((const char *)&d, 8);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
    if (rawget_type(l, "big_number") == LUA_TSTRING) {
      s = lua_tolstring(l, -1, &n);
      out_str('G', s, n);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
    if (rawget_type(l, "verbatim_string") == LUA_TTABLE) {
      if (rawget_type(l, "format") == LUA_TSTRING) {
        /* the verbatim_string table is below its format */
        if (rawget_type_at(l, -2, "string") == LUA_TSTRING) {
          size_t fn;
          const char *f = lua_tolstring(l, -2, &fn);
          s = lua_tolstring(l, -1, &n);
          out_tag('V');
          io_put_u32((uint32_t)(n + 3));
          char fmt[3] = { ' ', ' ', ' ' };
          memcpy(fmt, f, fn < 3 ? fn : 3);
          io_put(fmt, 3);
          io_put(s, n);
          lua_pop(l, 4);
          return;
        }
        lua_pop(l, 1);
      }
      lua_pop(l, 1);
    }
    lua_pop(l, 1);
    int kind = rawget_type(l, "map");
    if (kind == LUA_TTABLE) {
      out_tag('M');
      size_t at = io_len;
      io_put_u32(0);
      uint32_t count = 0;
      lua_pushnil(l);
      while (lua_next(l, -2)) {
        lua_pushvalue(l, -2);
        lua_to_tagged(l); /* key */
        lua_to_tagged(l); /* value */
        count++;
        if (io_failed) {
          lua_pop(l, 1);
          break;
        }
      }
      if (!io_failed) memcpy(io_buf + at, &count, 4);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
    kind = rawget_type(l, "set");
    if (kind == LUA_TTABLE) {
      out_tag('U');
      size_t at = io_len;
      io_put_u32(0);
      uint32_t count = 0;
      lua_pushnil(l);
      while (lua_next(l, -2)) {
        lua_pop(l, 1);
        lua_pushvalue(l, -1);
        lua_to_tagged(l);
        count++;
        if (io_failed) {
          lua_pop(l, 1);
          break;
        }
      }
      if (!io_failed) memcpy(io_buf + at, &count, 4);
      lua_pop(l, 2);
      return;
    }
    lua_pop(l, 1);
  array:
    out_tag('A');
    size_t at = io_len;
    io_put_u32(0);
    uint32_t count = 0;
    for (int j = 1;; j++) {
      lua_pushnumber(l, j);
      lua_rawget(l, -2);
      if (lua_type(l, -1) == LUA_TNIL) {
        lua_pop(l, 1);
        break;
      }
      lua_to_tagged(l);
      count++;
      if (io_failed) break;
    }
    if (!io_failed) memcpy(io_buf + at, &count, 4);
    break;
  }
  default:
    out_tag('N');
  }
  lua_pop(l, 1);
}

/* ---- invocation ----------------------------------------------------------------------- */

/* Reads count length-prefixed strings from io_buf at *off into a new table. */
/* True when `count` length-prefixed strings in io_buf, in tables, fit under the memory cap
 * (with room for the thread and the table headers). */
static int args_fit(uint32_t count) {
  size_t need = 4096, off = 0;
  for (uint32_t j = 0; j < count; j++) {
    uint32_t n;
    memcpy(&n, io_buf + off, 4);
    off += 4 + n;
    need += n + 64;
  }
  return mem_used <= mem_limit && need <= mem_limit - mem_used;
}

static void push_string_array(lua_State *l, size_t *off, uint32_t count) {
  lua_createtable(l, (int)count, 0);
  for (uint32_t j = 0; j < count; j++) {
    uint32_t n;
    memcpy(&n, io_buf + *off, 4);
    lua_pushlstring(l, io_buf + *off + 4, n);
    *off += 4 + n;
    lua_rawseti(l, -2, (int)j + 1);
  }
}

/* ---- running a script on a coroutine -------------------------------------------------- */
/* Invocations run on a coroutine, made once and reused by the next invocation after every
 * script that returns (a finished coroutine can start a new function, and reusing it spares
 * the allocation, and the garbage collection, of a thread per call); one that failed is dead
 * and is dropped, as is one whose script is abandoned.
 * Every hook_count instructions the count hook asks the host what to do: go on, kill the
 * script, or suspend it so the host can serve other clients (BUSY replies, SCRIPT KILL,
 * signals). Suspending is not a Lua yield, which cannot cross a C call: build.sh runs
 * binaryen's Asyncify over the module, so the wasm stack can be unwound back to the host from
 * any depth (inside pcall, xpcall's handler, a metamethod, a sort comparator, a gsub callback,
 * a coroutine the script made) and rewound later. The hook only asks (rd_vm.wanted);
 * luaV_execute starts the unwind once the hook has returned (lvm.c), rd_call returns early,
 * and the host calls rd_end_unwind, then later rd_begin_rewind and rd_call again. */

/* Asked at every hook: 0 runs on, 1 kills the script, 2 suspends it. */
IMPORT(rd_host_slice) int rd_host_slice(void);

static lua_State *co;          /* the scripts' coroutine: running, suspended, or idle for the next */
static int co_ref = LUA_NOREF; /* keeps it from the collector */

/* Bytes Asyncify may use to save the C functions of a suspended stack. The deepest stack Lua
 * allows (LUAI_MAXCCALLS nested C calls: pcall, sort comparators, metamethods) takes far less
 * (test/lua-engine.test.ts measures it); past the end Asyncify traps and the VM is dropped. */
#define SUSPEND_STACK ((size_t)1 << 20)

/* Asyncify's data ({current, end}, then the stack it saves), made on the first suspension. */
static int suspend_ready(void) {
  if (!rd_vm.data) rd_vm.data = malloc(8 + SUSPEND_STACK);
  if (!rd_vm.data) return 0;
  uint32_t *d = rd_vm.data;
  d[0] = (uint32_t)(uintptr_t)(d + 2);
  d[1] = (uint32_t)(uintptr_t)((char *)(d + 2) + SUSPEND_STACK);
  return 1;
}

static void hook(lua_State *l, lua_Debug *ar) {
  (void)ar;
  int action = killed ? 1 : rd_host_slice();
  if (action == 1) {
    killed = 1;
    /* fire on every line from now on, so a pcall in the script cannot outlive the kill; also
     * on the script's own thread when a coroutine of its own was running */
    lua_sethook(l, hook, LUA_MASKLINE, 0);
    if (co && co != l) lua_sethook(co, hook, LUA_MASKLINE, 0);
    push_error_cstr(l, "Script killed by user with SCRIPT KILL...");
    lua_error(l);
  }
  /* luaV_execute suspends the script once this returns (without the memory, it runs on) */
  if (action == 2 && suspend_ready()) rd_vm.wanted = 1;
}

/* Asyncify's own controls, which build.sh's wasm-opt provides. */
__attribute__((import_module("asyncify"), import_name("stop_unwind"))) void rd_asyncify_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind"))) void rd_asyncify_start_rewind(void *data);

/* After rd_call returned: 1 if the script was suspended (its stack is saved), else 0. */
EXPORT(rd_end_unwind) int rd_end_unwind(void) {
  if (rd_vm.state != RD_UNWINDING) return 0;
  rd_asyncify_stop_unwind();
  rd_vm.state = RD_NORMAL;
  return 1;
}

/* Where rd_vm.state is, which the host reads after every rd_call (RD_UNWINDING: suspended). */
EXPORT(rd_suspend_state) int *rd_suspend_state(void) { return &rd_vm.state; }

/* Bytes of the saved stack while a script is suspended. */
EXPORT(rd_suspended_bytes) size_t rd_suspended_bytes(void) {
  uint32_t *d = rd_vm.data;
  return d ? d[0] - (uint32_t)(uintptr_t)(d + 2) : 0;
}

/* Before calling rd_call again to go on with a suspended script. */
EXPORT(rd_begin_rewind) void rd_begin_rewind(void) {
  rd_vm.state = RD_REWINDING;
  rd_asyncify_start_rewind(rd_vm.data);
}

/* The script's body is no coroutine in Redis: yielding from it fails as there, and
 * coroutine.running() gives nil in it. Coroutines the script makes behave as usual. */
static int co_yield_guarded(lua_State *l) {
  if (l == co) {
    lua_pushstring(l, "attempt to yield across metamethod/C-call boundary");
    return lua_error(l);
  }
  return lua_yield(l, lua_gettop(l));
}

static int co_running_guarded(lua_State *l) {
  if (l == co || lua_pushthread(l)) lua_pushnil(l);
  return 1;
}

static int guard_coroutines(lua_State *l) {
  lua_getglobal(l, "coroutine");
  set_field_fn(l, "yield", co_yield_guarded);
  set_field_fn(l, "running", co_running_guarded);
  lua_pop(l, 1);
  return 0;
}

static void set_global_unprotected(lua_State *l, const char *name) {
  lua_enablereadonlytable(l, LUA_GLOBALSINDEX, 0);
  lua_setglobal(l, name);
  lua_enablereadonlytable(l, LUA_GLOBALSINDEX, 1);
}

static void release_co(void) {
  if (co) lua_sethook(co, NULL, 0, 0);
  luaL_unref(L, LUA_REGISTRYINDEX, co_ref);
  co_ref = LUA_NOREF;
  co = NULL;
  running = 0;
}

/* A dead coroutine keeps the stack it failed with: level 0 is the function that raised. */
static int annotate_dead(lua_State *l) { return annotate_error(l, co, 0); }

/* step()'s status when the script's reply or error did not fit in io_buf (nothing is in it). */
#define RD_REPLY_TOO_LARGE 100

/* Runs the coroutine to its end: 0 with the tagged reply in io_buf, or the Lua status and the
 * tagged error, or RD_REPLY_TOO_LARGE. */
static int step(int nargs) {
  int status = lua_resume(co, nargs);
  io_reset();
  if (status == LUA_YIELD) {
    /* unreachable with the guarded coroutine.yield; fail rather than hang */
    lua_settop(co, 0);
    lua_pushstring(co, "attempt to yield across metamethod/C-call boundary");
    status = LUA_ERRRUN;
  }
  lua_sethook(co, NULL, 0, 0);
  running = 0;
  lua_settop(L, 0);
  if (status == 0) {
    /* the first result, as a call with one result would keep; below it a slot where Redis has
     * its error handler, so that a deep reply reaches Lua's stack limit at Redis's depth */
    if (lua_gettop(co) == 0) lua_pushnil(co);
    lua_settop(co, 1);
    lua_pushnil(co);
    lua_insert(co, 1);
    lua_to_tagged(co);
    /* finished, so ready to start the next script (what is left on its stack is dropped) */
    lua_settop(co, 0);
    if (io_failed) {
      io_reset();
      return RD_REPLY_TOO_LARGE;
    }
    return 0;
  }
  lua_xmove(co, L, 1);
  if (status == LUA_ERRRUN) {
    lua_pushcfunction(L, annotate_dead);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != 0) status = LUA_ERRERR;
  }
  if (lua_istable(L, -1)) {
    /* err, source, line, ignore_error_stats_update */
    size_t n;
    const char *s;
    lua_getfield(L, -1, "err");
    s = lua_tolstring(L, -1, &n);
    out_str('E', s ? s : "", s ? n : 0);
    lua_pop(L, 1);
    lua_getfield(L, -1, "source");
    s = lua_tolstring(L, -1, &n);
    out_str('B', s ? s : "", s ? n : 0);
    lua_pop(L, 1);
    lua_getfield(L, -1, "line");
    s = lua_tolstring(L, -1, &n);
    out_str('B', s ? s : "", s ? n : 0);
    lua_pop(L, 1);
    lua_getfield(L, -1, "ignore_error_stats_update");
    out_tag(lua_toboolean(L, -1) ? 'T' : 'F');
    lua_pop(L, 1);
  } else {
    /* errors no handler shapes, such as running out of memory */
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    if (!s) { s = "execution failure"; n = strlen(s); }
    out_str('B', s, n);
  }
  lua_settop(L, 0);
  release_co();
  if (io_failed) {
    io_reset();
    return RD_REPLY_TOO_LARGE;
  }
  return status;
}

/* Runs the function `ref` with KEYS and ARGV from io_buf: as globals (EVAL) or as its two
 * arguments (FCALL). Returns as step() does. If the host suspended the script, this returns
 * early with the wasm stack unwound (rd_end_unwind says so); after rd_begin_rewind the host
 * calls it again (the arguments are then ignored) to go on.
 * hook_count 0 disables the hook (the script can then be neither suspended nor killed). */
EXPORT(rd_call) int rd_call(int ref, uint32_t nkeys, uint32_t nargs, int as_globals, int hook_count) {
  size_t off = 0;
  /* KEYS and ARGV are made outside any protected call, where a refused allocation would be
   * fatal: what they will take is checked against the cap first. */
  if (mem_limit && !args_fit(nkeys + nargs)) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (!args_fit(nkeys + nargs)) {
      io_reset();
      out_str('B', "not enough memory", 17);
      return LUA_ERRMEM;
    }
  }
  lua_settop(L, 0);
  if (!co) {
    co = lua_newthread(L);
    co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(co, LUA_REGISTRYINDEX, ref);
  push_string_array(co, &off, nkeys);
  if (as_globals) set_global_unprotected(co, "KEYS");
  push_string_array(co, &off, nargs);
  if (as_globals) set_global_unprotected(co, "ARGV");

  running = 1;
  killed = 0;
  script_resp = 2;
  if (hook_count > 0) lua_sethook(co, hook, LUA_MASKCOUNT, hook_count);
  return step(as_globals ? 0 : 2);
}

/* Drops a suspended script without running it further; its saved stack is forgotten. */
EXPORT(rd_abandon) void rd_abandon(void) {
  rd_vm.nframes = 0;
  rd_vm.wanted = 0;
  if (co) release_co();
  lua_settop(L, 0);
}


/* ---- Redis 7 functions: FUNCTION LOAD's library API ----------------------------------- */
/* A functions engine (rd_fn_init) runs all code under a globals table of its own whose
 * metatable's __index is the sealed globals. While FUNCTION LOAD runs a library's body,
 * __index points instead at a small API ({redis = {register_function, log, ...}}), so the
 * body can do nothing but register functions, as in Redis's function_lua.c. */

#define FN_NO_WRITES 1
#define FN_ALLOW_OOM 2
#define FN_ALLOW_STALE 4
#define FN_NO_CLUSTER 8
#define FN_ALLOW_CROSS_SLOT 16

static const char *const fn_flag_names[] = {
  "no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys", NULL,
};

static int fn_loading;

/* strcasecmp(a, b) == 0, for ASCII, as Redis compares argument and flag names. */
static int fn_caseeq(const char *a, const char *b) {
  for (;; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
    if (x != y) return 0;
    if (!x) return 1;
  }
}

/* Gives the table on top of the stack the "nonexistent global variable" error on reads. */
static void fn_set_error_metatable(lua_State *l) {
  lua_newtable(l);
  lua_pushcfunction(l, global_index_error);
  lua_setfield(l, -2, "__index");
  lua_setmetatable(l, -2);
}

/* Points the functions globals' __index at the registry entry `key`. */
static void fn_set_index(lua_State *l, const char *key) {
  lua_getfield(l, LUA_REGISTRYINDEX, "redoubt.fn.meta");
  lua_enablereadonlytable(l, -1, 0);
  lua_getfield(l, LUA_REGISTRYINDEX, key);
  lua_setfield(l, -2, "__index");
  lua_enablereadonlytable(l, -1, 1);
  lua_pop(l, 1);
}

static int fn_name_ok(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return 0;
  }
  return 1;
}

/* Reads the flags table on top of the stack; -1 on a flag Redis does not know. */
static int fn_read_flags(lua_State *l) {
  int flags = 0;
  for (int j = 1;; j++) {
    lua_pushnumber(l, j);
    lua_gettable(l, -2);
    if (lua_isnil(l, -1)) {
      lua_pop(l, 1);
      return flags;
    }
    if (!lua_isstring(l, -1)) return -1;
    const char *s = lua_tostring(l, -1);
    int found = 0;
    for (int f = 0; fn_flag_names[f]; f++) {
      if (fn_caseeq(s, fn_flag_names[f])) {
        flags |= 1 << f;
        found = 1;
        break;
      }
    }
    lua_pop(l, 1);
    if (!found) return -1;
  }
}

/* redis.register_function(name, callback) or redis.register_function{function_name=...,
 * callback=..., flags={...}, description=...}: checked in Redis's order, with its errors,
 * then appended to the pending list that rd_fn_load hands to the host. */
static int fn_register(lua_State *l) {
  if (!fn_loading) {
    push_error_cstr(l, "redis.register_function can only be called on FUNCTION LOAD command");
    return lua_error(l);
  }
  int argc = lua_gettop(l);
  if (argc < 1 || argc > 2) {
    push_error_cstr(l, "wrong number of arguments to redis.register_function");
    return lua_error(l);
  }
  const char *err = NULL;
  int name_idx = 0, desc_idx = 0, ref = LUA_NOREF, flags = 0;
  /* name and description are copied to fixed slots above the arguments */
  lua_settop(l, 4);
  if (argc == 1) {
    if (!lua_istable(l, 1)) {
      err = "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).";
      goto fail;
    }
    lua_pushnil(l);
    while (lua_next(l, 1)) {
      if (!lua_isstring(l, -2)) {
        err = "named argument key given to redis.register_function is not a string";
        goto fail;
      }
      const char *key = lua_tostring(l, -2);
      if (fn_caseeq(key, "function_name")) {
        if (!lua_isstring(l, -1)) {
          err = "function_name argument given to redis.register_function must be a string";
          goto fail;
        }
        lua_tostring(l, -1);
        lua_pushvalue(l, -1);
        lua_replace(l, 3);
        name_idx = 3;
      } else if (fn_caseeq(key, "description")) {
        if (!lua_isstring(l, -1)) {
          err = "description argument given to redis.register_function must be a string";
          goto fail;
        }
        lua_tostring(l, -1);
        lua_pushvalue(l, -1);
        lua_replace(l, 4);
        desc_idx = 4;
      } else if (fn_caseeq(key, "callback")) {
        if (!lua_isfunction(l, -1)) {
          err = "callback argument given to redis.register_function must be a function";
          goto fail;
        }
        if (ref != LUA_NOREF) luaL_unref(l, LUA_REGISTRYINDEX, ref);
        ref = luaL_ref(l, LUA_REGISTRYINDEX);
        continue;
      } else if (fn_caseeq(key, "flags")) {
        if (!lua_istable(l, -1)) {
          err = "flags argument to redis.register_function must be a table representing function flags";
          goto fail;
        }
        flags = fn_read_flags(l);
        if (flags < 0) {
          err = "unknown flag given";
          goto fail;
        }
      } else {
        err = "unknown argument given to redis.register_function";
        goto fail;
      }
      lua_pop(l, 1);
    }
    if (!name_idx) {
      err = "redis.register_function must get a function name argument";
      goto fail;
    }
    if (ref == LUA_NOREF) {
      err = "redis.register_function must get a callback argument";
      goto fail;
    }
  } else {
    if (!lua_isstring(l, 1)) {
      err = "first argument to redis.register_function must be a string";
      goto fail;
    }
    lua_tostring(l, 1);
    lua_pushvalue(l, 1);
    lua_replace(l, 3);
    name_idx = 3;
    if (!lua_isfunction(l, 2)) {
      err = "second argument to redis.register_function must be a function";
      goto fail;
    }
    lua_pushvalue(l, 2);
    ref = luaL_ref(l, LUA_REGISTRYINDEX);
  }

  size_t n;
  const char *name = lua_tolstring(l, name_idx, &n);
  if (!fn_name_ok(name, n)) {
    /* Redis 7.0 words this error about libraries, for functions too */
    err = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
    goto fail;
  }
  lua_getfield(l, LUA_REGISTRYINDEX, "redoubt.fn.pending");
  int pending = lua_gettop(l);
  int count = (int)lua_objlen(l, pending);
  for (int j = 1; j <= count; j++) {
    lua_rawgeti(l, pending, j);
    lua_rawgeti(l, -1, 1);
    if (lua_rawequal(l, -1, name_idx)) {
      err = "Function already exists in the library";
      goto fail;
    }
    lua_pop(l, 2);
  }
  lua_createtable(l, 4, 0);
  lua_pushvalue(l, name_idx);
  lua_rawseti(l, -2, 1);
  if (desc_idx) lua_pushvalue(l, desc_idx);
  else lua_pushboolean(l, 0);
  lua_rawseti(l, -2, 2);
  lua_pushinteger(l, flags);
  lua_rawseti(l, -2, 3);
  lua_pushinteger(l, ref);
  lua_rawseti(l, -2, 4);
  lua_rawseti(l, pending, count + 1);
  return 0;

fail:
  if (ref != LUA_NOREF) luaL_unref(l, LUA_REGISTRYINDEX, ref);
  push_error_cstr(l, err);
  return lua_error(l);
}

/* Called once, after rd_seal, to make this engine a functions engine. */
EXPORT(rd_fn_init) void rd_fn_init(void) {
  lua_State *l = L;
  lua_newtable(l); /* the load-time globals */
  lua_newtable(l); /* their redis table */
  lua_pushcfunction(l, fn_register);
  lua_setfield(l, -2, "register_function");
  lua_getglobal(l, "redis");
  static const char *const copied[] = {
    "log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM", "SERVER_NAME", NULL,
  };
  for (const char *const *f = copied; *f; f++) {
    lua_getfield(l, -1, *f);
    lua_setfield(l, -3, *f);
  }
  lua_pop(l, 1);
  fn_set_error_metatable(l);
  lua_pushvalue(l, -1);
  lua_setfield(l, -3, "server");
  lua_setfield(l, -2, "redis");
  fn_set_error_metatable(l);
  protect_recursively(l);
  lua_setfield(l, LUA_REGISTRYINDEX, "redoubt.fn.libapi");

  lua_pushvalue(l, LUA_GLOBALSINDEX);
  lua_setfield(l, LUA_REGISTRYINDEX, "redoubt.fn.globals");
  lua_newtable(l); /* the globals functions see */
  lua_newtable(l);
  lua_pushvalue(l, LUA_GLOBALSINDEX);
  lua_setfield(l, -2, "__index");
  lua_pushvalue(l, -1);
  lua_setfield(l, LUA_REGISTRYINDEX, "redoubt.fn.meta");
  lua_enablereadonlytable(l, -1, 1);
  lua_setmetatable(l, -2);
  lua_enablereadonlytable(l, -1, 1);
  lua_replace(l, LUA_GLOBALSINDEX);
}

/* FUNCTION LOAD's time limit: the host's interrupt says when it is past. */
static void fn_load_hook(lua_State *l, lua_Debug *ar) {
  (void)ar;
  if (rd_host_interrupt()) {
    lua_sethook(l, fn_load_hook, LUA_MASKLINE, 0);
    push_error_cstr(l, "FUNCTION LOAD timeout");
    lua_error(l);
  }
}

static void fn_io_message(lua_State *l) {
  size_t n = 0;
  const char *s = NULL;
  if (lua_istable(l, -1)) {
    lua_getfield(l, -1, "err");
    if (lua_isstring(l, -1)) s = lua_tolstring(l, -1, &n);
  } else {
    s = lua_tolstring(l, -1, &n);
    if (s) {
      lua_pushstring(l, "ERR ");
      lua_insert(l, -2);
      lua_concat(l, 2);
      s = lua_tolstring(l, -1, &n);
    }
  }
  if (!s) { s = ""; n = 0; }
  io_reset();
  io_put(s, n);
}

/* Runs a library body (io_buf[0..len), chunkname at name_off) with the load-time API.
 * Returns 0 with the registered functions in io_buf (count, then per function: name,
 * description (length -1 when absent), flags, registry ref), 1 on a compile error or 2 on
 * an error while running, with the message in io_buf. */
EXPORT(rd_fn_load) int rd_fn_load(size_t len, size_t name_off, int hook_count) {
  lua_settop(L, 0);
  if (luaL_loadbuffer(L, io_buf, len, io_buf + name_off) != 0) {
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    if (!msg) { msg = "error"; n = 5; }
    io_reset();
    io_put(msg, n);
    lua_settop(L, 0);
    return 1;
  }
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "redoubt.fn.pending");
  fn_set_index(L, "redoubt.fn.libapi");
  fn_loading = 1;
  if (hook_count > 0) lua_sethook(L, fn_load_hook, LUA_MASKCOUNT, hook_count);
  int status = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, NULL, 0, 0);
  fn_loading = 0;
  fn_set_index(L, "redoubt.fn.globals");

  lua_getfield(L, LUA_REGISTRYINDEX, "redoubt.fn.pending");
  int pending = lua_gettop(L);
  int count = (int)lua_objlen(L, pending);
  if (status != 0) {
    for (int j = 1; j <= count; j++) {
      lua_rawgeti(L, pending, j);
      lua_rawgeti(L, -1, 4);
      luaL_unref(L, LUA_REGISTRYINDEX, (int)lua_tointeger(L, -1));
      lua_pop(L, 2);
    }
    lua_pushvalue(L, pending - 1);
    fn_io_message(L);
  } else {
    io_reset();
    io_put_u32((uint32_t)count);
    for (int j = 1; j <= count; j++) {
      size_t n;
      const char *s;
      lua_rawgeti(L, pending, j);
      lua_rawgeti(L, -1, 1);
      s = lua_tolstring(L, -1, &n);
      io_put_u32((uint32_t)n);
      io_put(s, n);
      lua_pop(L, 1);
      lua_rawgeti(L, -1, 2);
      if (lua_isstring(L, -1)) {
        s = lua_tolstring(L, -1, &n);
        io_put_u32((uint32_t)n);
        io_put(s, n);
      } else {
        io_put_u32(0xffffffffu);
      }
      lua_pop(L, 1);
      lua_rawgeti(L, -1, 3);
      io_put_u32((uint32_t)lua_tointeger(L, -1));
      lua_pop(L, 1);
      lua_rawgeti(L, -1, 4);
      io_put_u32((uint32_t)lua_tointeger(L, -1));
      lua_pop(L, 2);
    }
  }
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "redoubt.fn.pending");
  lua_settop(L, 0);
  return status == 0 ? 0 : 2;
}

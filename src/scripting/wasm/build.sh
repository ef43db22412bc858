#!/bin/sh
# Rebuilds src/scripting/lua-wasm.ts: Lua 5.1.5 (Debian's pristine upstream tarball) with
# lua-5.1.5.patch, Redis 7.0.15's cjson, cmsgpack, bit and struct libraries (Debian's redis
# source package with its patches applied, then lua-libs.patch) and bridge.c, compiled to
# wasm32 by clang against wasi-libc, then made suspendable by binaryen's Asyncify. Needs:
#   apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 dpkg-dev binaryen
# and deb-src entries for bookworm and bookworm-security (apt-get source fetches the tarballs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Named by suite: with a newer release's deb-src also listed (trixie has redis 8), apt-get
# would otherwise pick that one.
for pkg in lua5.1/bookworm redis/bookworm-security; do
  apt-get source --download-only $pkg >/dev/null 2>&1 || { echo "apt-get source $pkg failed (deb-src missing?)" >&2; exit 1; }
done
echo "2640fc56a795f29d28ef15e13c34a47e223960b0240e8cb0a82d9b0738695333  lua5.1_5.1.5.orig.tar.gz
4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982  redis_7.0.15.orig.tar.gz" | sha256sum -c - >/dev/null
# dpkg-source applies Debian's patches in series order (CVE-2024-31449 touches lua_bit.c);
# only the library files are taken from the tree.
dpkg-source -x redis_7.0.15-*.dsc redis >/dev/null 2>&1 || { echo "dpkg-source -x redis failed" >&2; exit 1; }
libs="$work/libs/deps/lua/src"
mkdir -p "$libs" "$work/libs/src"
for f in lua_cjson.c strbuf.c strbuf.h fpconv.c fpconv.h lua_cmsgpack.c lua_bit.c lua_struct.c; do
  cp "redis/deps/lua/src/$f" "$libs/"
done
# lua_cjson.c includes ../../../src/solarisfixes.h (empty outside Solaris)
cp redis/src/solarisfixes.h "$work/libs/src/"
(cd "$libs" && patch -p1 -s < "$here/lua-libs.patch")
tar xzf lua5.1_5.1.5.orig.tar.gz
cd lua-5.1.5
patch -p1 -s < "$here/lua-5.1.5.patch"
cd src
core="lapi lcode ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring ltable ltm lvm lzio lauxlib lbaselib lmathlib lstrlib ltablib"
# Debian's redis patches fix core Lua files in Redis's copy of Lua (CVE-2025-46817, -46819 and
# -49844 in deb12u10). The same fixes, taken as the difference between the orig tarball and the
# patched tree, are applied to ours; a fix that does not apply stops the build.
tar xzf ../../redis_7.0.15.orig.tar.gz redis-7.0.15/deps/lua/src
for f in $core; do
  a="redis-7.0.15/deps/lua/src/$f.c"
  b="../../redis/deps/lua/src/$f.c"
  if ! cmp -s "$a" "$b"; then
    diff -u "$a" "$b" | patch -s --no-backup-if-mismatch "$f.c"
    fixed="${fixed:-}$f.c "
  fi
done
echo "Debian's Lua fixes applied to: ${fixed:-none}"
# ldo.c includes <setjmp.h>, which wasi-libc lacks; the patched ldo.c only keeps the type.
mkdir -p shim
echo 'typedef int jmp_buf[1];' > shim/setjmp.h
files=""
for f in $core; do files="$files $f.c"; done
# -mnontrapping-fptoint: double->int casts saturate instead of trapping, as Lua expects
# casts never to abort.
# -ffile-prefix-map: assert() messages name the files without the temporary directory, so the
# same sources give the same module.
flags="--target=wasm32-wasi -DREDOUBT_WASM -mnontrapping-fptoint -mmutable-globals -ffile-prefix-map=$work=."
for f in $files "$here/bridge.c"; do
  clang-14 $flags -O2 -nostdlibinc -isystem /usr/include/wasm32-wasi -Ishim -I. -c "$f" -o "$(basename "$f" .c).o"
done
# The libraries get Redis's own flags (deps/Makefile LUA_CFLAGS), and their allocations are
# routed to the bridge, which counts them against the memory cap and raises "not enough
# memory" instead of returning NULL (strbuf would abort, cmsgpack would write through NULL).
libflags="-O2 -Wall -DLUA_ANSI -DENABLE_CJSON_GLOBAL -DREDIS_STATIC= -DLUA_USE_MKSTEMP -include shim/lp64.h"
# Integer arguments are read as on x86-64, where lua_Integer has 64 bits (2^31 is out of
# range for cjson.decode_max_depth there, not saturated to INT_MAX).
cat > shim/lp64.h <<'H'
struct lua_State;
long long rd_lib_checkinteger(struct lua_State *l, int narg);
long long rd_lib_optinteger(struct lua_State *l, int narg, long long def);
#define luaL_checkinteger(l, n) rd_lib_checkinteger(l, n)
#define luaL_optinteger(l, n, d) rd_lib_optinteger(l, n, d)
H
lib() {
  f=$1; shift
  clang-14 $flags $libflags "$@" -nostdlibinc -isystem /usr/include/wasm32-wasi -I. -c "$libs/$f.c" -o "lib_$f.o"
}
lib strbuf -Dmalloc=rd_lib_malloc -Drealloc=rd_lib_realloc -Dfree=rd_lib_free
lib fpconv
lib lua_cjson -Dlua_touserdata=rd_lib_touserdata -Dlua_newuserdata=rd_lib_newuserdata
lib lua_cmsgpack -Dlua_getallocf=rd_lib_getallocf
lib lua_bit
lib lua_struct
# Linked without -O so clang does not run wasm-opt itself (without the feature flags below);
# function names are kept for the checks and lists below, and stripped by wasm-opt.
clang-14 $flags -mexec-model=reactor -Wl,--export=__stack_pointer -Wl,--no-check-features \
  -Wl,-z,stack-size=2097152 -Wl,--strip-debug -o linked.wasm *.o
# Asyncify (docs/lua-runtime.md): every function that can be on the wasm stack when a script
# is suspended saves and restores its locals, so the host can suspend a script anywhere and
# rewind it later. That is luaV_execute (which does it by hand, see lvm.c, and calls Asyncify's
# start_unwind itself), the protected call through the host (rd_host_try), and whatever calls
# them directly. Indirect calls are ignored except the two that can lead to Lua code: a C
# function called by luaD_precall, and rd_call_pfunc's protected function. GCTM (__gc) runs
# with hooks off, so nothing is ever suspended under it. --optimize-level sets how Asyncify
# cleans up after itself without running the optimizer, whose inlining would break what
# luaV_execute relies on; clang -O2 has optimized the code already.
wasm-opt linked.wasm --optimize-level=2 --enable-nontrapping-float-to-int --enable-mutable-globals \
  --asyncify --pass-arg=asyncify-imports@env.rd_host_try --pass-arg=asyncify-ignore-indirect \
  --pass-arg=asyncify-addlist@luaD_precall,rd_call_pfunc --pass-arg=asyncify-removelist@GCTM \
  --pass-arg=asyncify-verbose --strip-debug -o lua.wasm > asyncify.log
# What the reasoning above rests on, checked on this build (a new compiler or library that
# breaks it stops the build):
wasm-dis linked.wasm > linked.wat
sed -n 's/^\[asyncify\] \([^ ]*\) \(can change the state\|is in the add-list\).*/\1/p' asyncify.log | sort -u > instrumented
awk '/^ \(func /{f=$2} /call_indirect/{print substr(f, 2)}' linked.wat | sort -u > indirect
expected_indirect="__fwritex __overflow __toread __uflow close_state fclose fflush fread fwrite vfprintf
luaD_callhook luaD_poscall luaD_precall luaD_precall_lua luaD_throw luaM_growaux_ luaM_realloc_ luaZ_fill
luaZ_lookahead lua_newstate mp_encode_array mp_encode_bytes mp_encode_double mp_encode_int
mp_encode_lua_bool mp_encode_lua_type mp_encode_map mp_pack rd_call_pfunc"
# (stdio's write and read functions, the allocator, the panic function, the hook, Lua's
# readers of text and files (load()'s, which runs Lua code, is called directly), cmsgpack's
# allocator: none runs Lua code.)
if [ "$(cat indirect)" != "$(printf '%s\n' $expected_indirect | sort -u)" ]; then
  echo "indirect calls changed: $(cat indirect | tr '\n' ' ')" >&2; exit 1
fi
awk '/^ \(func \$luaV_execute /{on=1; next} /^ \(func /{on=0} on' linked.wat > vm.wat
if grep -q 'call_indirect\|__stack_pointer' vm.wat; then
  echo "luaV_execute makes indirect calls or uses the C stack" >&2; exit 1
fi
sed -n 's/.*(call \$\([^ )]*\).*/\1/p' vm.wat | sort -u | grep -Fxf instrumented | grep -vx luaV_execute > sites || true
if [ "$(cat sites | tr '\n' ' ')" != "Arith call_binTM lessequal luaD_call luaD_precall luaV_concat luaV_equalval luaV_gettable luaV_lessthan luaV_settable " ]; then
  echo "luaV_execute's suspendable calls changed: $(cat sites | tr '\n' ' ')" >&2; exit 1
fi
# load()'s reader runs Lua code under the parser (lzio.c calls it directly for that reason).
grep -qx luaZ_fill instrumented || { echo "the parser is not suspendable under load()'s reader" >&2; exit 1; }
out="$here/../lua-wasm.ts"
{
  echo "// Generated by src/scripting/wasm/build.sh from Lua 5.1.5, lua-5.1.5.patch, Redis 7.0.15's cjson/cmsgpack/bit/struct, lua-libs.patch and bridge.c, through binaryen's Asyncify; do not edit."
  echo "// sha256 of the module: $(sha256sum lua.wasm | cut -d' ' -f1)"
  printf "export const LUA_WASM_BASE64 =\n  '"
  base64 -w0 lua.wasm
  echo "';"
} > "$out"
echo "wrote $out ($(wc -c < lua.wasm) bytes of wasm)"

// Glob-style matching with exactly Redis's stringmatchlen semantics (KEYS, SCAN MATCH, and later
// ACL key patterns and PSUBSCRIBE): `*`, `?`, `[set]`, `[^set]`, `[a-z]`, `\` escapes, a `[` left
// open running to the end of the pattern, and the nesting cap that stops pathological patterns.
// Hand-rolled because every quirk (signed-char ranges, empty-string rules) must match byte for byte.

/** Redis gives up (no match) past this many nested `*` expansions (its CVE-2024-31228 fix). */
const MAX_NESTING = 1000;
/**
 * Steps one match may take, per byte of pattern and string, and at least: past them the match
 * gives up as no match, as past the nesting cap. Ordinary matches take about one step per byte
 * (more only when a literal after a `*` keeps almost matching); a pattern like `*aaaa...b`
 * against a long run of `a` would otherwise take pattern × string steps and hold the server.
 */
const STEPS_PER_BYTE = 32;
const MIN_STEPS = 16384;

/** Byte at `i`, or 0 past the end: the C code reads the pattern's NUL terminator there. */
function at(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

/** C's `char` is signed: bytes ≥ 0x80 compare as negative numbers in `[a-z]` ranges. */
function signed(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/** tolower in the C locale: only ASCII letters change. */
function lower(b: number): number {
  return b >= 65 && b <= 90 ? b + 32 : b;
}

interface State {
  /**
   * Set when the rest of the pattern failed at every suffix: no longer `*` match can help. Also
   * set when the steps run out, which ends the whole match the same way.
   */
  skipLonger: boolean;
  /** Steps left before the match gives up. */
  steps: number;
}

function match(pat: string, p: number, str: string, s: number, nocase: boolean, st: State, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const pend = pat.length;
  const send = str.length;
  while (p < pend && s < send) {
    if (--st.steps < 0) {
      st.skipLonger = true;
      return false;
    }
    const ch = pat.charCodeAt(p);
    if (ch === 42 /* * */) {
      while (at(pat, p + 1) === 42) p++;
      if (pend - p === 1) return true;
      while (s < send) {
        if (match(pat, p + 1, str, s, nocase, st, nesting + 1)) return true;
        if (st.skipLonger) return false;
        s++;
      }
      st.skipLonger = true;
      return false;
    } else if (ch === 63 /* ? */) {
      s++;
    } else if (ch === 91 /* [ */) {
      p++;
      const not = at(pat, p) === 94; /* ^ */
      if (not) p++;
      let matched = false;
      const c = str.charCodeAt(s);
      for (;;) {
        st.steps--;
        const pc = at(pat, p);
        if (pc === 92 /* \ */ && pend - p >= 2) {
          p++;
          if (at(pat, p) === c) matched = true;
        } else if (pc === 93 /* ] */) {
          break;
        } else if (p >= pend) {
          // Unterminated set: step back so the common advance below lands on the end.
          p--;
          break;
        } else if (pend - p >= 3 && at(pat, p + 1) === 45 /* - */) {
          let start = signed(pc);
          let end = signed(at(pat, p + 2));
          let x = signed(c);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            x = lower(x);
          }
          p += 2;
          if (x >= start && x <= end) matched = true;
        } else if (nocase ? lower(pc) === lower(c) : pc === c) {
          matched = true;
        }
        p++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      s++;
    } else {
      if (ch === 92 /* \ */ && pend - p >= 2) p++;
      const pc = pat.charCodeAt(p);
      const c = str.charCodeAt(s);
      if (nocase ? lower(pc) !== lower(c) : pc !== c) return false;
      s++;
    }
    p++;
    if (s === send) {
      while (at(pat, p) === 42) p++;
      break;
    }
  }
  return p >= pend && s === send;
}

/**
 * True when `str` matches the glob `pattern` as Redis's stringmatchlen decides it; false also
 * when the match would take more than STEPS_PER_BYTE steps per byte of both (see above).
 */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  const steps = MIN_STEPS + STEPS_PER_BYTE * (pattern.length + str.length);
  return match(pattern, 0, str, 0, nocase, { skipLonger: false, steps }, 0);
}

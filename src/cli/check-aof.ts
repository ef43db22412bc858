// `redoubt check-aof [--fix] <file.manifest|file.aof>`, as redis-check-aof: checks a multi-part AOF
// (through its manifest) or a single old-style file, prints where the first bad command starts,
// and with --fix (after a y on standard input) truncates the last file there. Exit status 0 when
// valid or fixed, 1 otherwise. A BASE in RDB form is reported and skipped (no RDB checker here yet).

import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseManifest, ManifestError } from '../persistence/aof/manifest.js';
import { isRdb, scanAof } from '../persistence/aof/reader.js';

type Outcome = 'ok' | 'empty' | 'truncated' | 'invalid';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function confirm(): Promise<boolean> {
  process.stdout.write('Continue? [y/N]: ');
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y/i.test(line);
}

/** Checks one file; with `fix` and `last`, offers to truncate it at the first bad command. */
async function checkFile(name: string, file: string, last: boolean, fix: boolean): Promise<Outcome> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    out(`Cannot open file ${file}: ${(err as Error).message}, aborting...`);
    return 'invalid';
  }
  if (buf.length === 0) return 'empty';
  if (isRdb(buf)) {
    out(`${name} is in RDB format: Redoubt has no RDB checker yet, its content is not checked.`);
    return 'ok';
  }
  let multi = 0;
  let okUpTo = 0;
  let lines = 1;
  let error = '';
  const result = scanAof(buf, 0, (argv, _start, end) => {
    const verb = (argv[0] ?? '').toLowerCase();
    if (verb === 'multi') multi++;
    else if (verb === 'exec') multi--;
    lines += 1 + 2 * argv.length;
    if (multi === 0) okUpTo = end;
  });
  if (!result.ok) error = `0x${result.offset.toString(16).padStart(16, ' ')}: ${result.message}`;
  else if (multi !== 0) error = `0x${buf.length.toString(16).padStart(16, ' ')}: Reached EOF before reading EXEC for MULTI`;
  if (error !== '') out(error);
  const diff = buf.length - okUpTo;
  out(`AOF analyzed: filename=${name}, size=${buf.length}, ok_up_to=${okUpTo}, ok_up_to_line=${lines}, diff=${diff}`);
  if (diff === 0) return 'ok';
  if (!fix) {
    out(`AOF ${name} is not valid. Use the --fix option to try fixing it.`);
    return 'invalid';
  }
  if (!last) {
    out(`Failed to truncate AOF ${name} because it is not the last file`);
    return 'invalid';
  }
  out(`This will shrink the AOF ${name} from ${buf.length} bytes, with ${diff} bytes, to ${okUpTo} bytes`);
  if (!(await confirm())) {
    out('Aborting...');
    return 'invalid';
  }
  fs.truncateSync(file, okUpTo);
  return 'truncated';
}

function report(kind: string, name: string, r: Outcome): void {
  if (r === 'ok') out(`${kind}${name} is valid`);
  else if (r === 'empty') out(`${kind}${name} is empty`);
  else if (r === 'truncated') out(`Successfully truncated AOF ${name}`);
}

export async function runCheckAof(argv: string[]): Promise<number> {
  const fix = argv[0] === '--fix';
  const target = fix ? argv[1] : argv[0];
  if (target === undefined || argv.length > (fix ? 2 : 1)) {
    out('Usage: redoubt check-aof [--fix] <file.manifest|file.aof>');
    return 1;
  }
  if (!target.endsWith('.manifest')) {
    out('Start checking Old-Style AOF');
    const r = await checkFile(target, target, true, fix);
    if (r === 'invalid') return 1;
    report('AOF ', target, r);
    return 0;
  }
  out('Start checking Multi Part AOF');
  let text: string;
  try {
    text = fs.readFileSync(target, 'latin1');
  } catch (err) {
    out(`Cannot open file ${target}: ${(err as Error).message}`);
    return 1;
  }
  let m;
  try {
    m = parseManifest(text);
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    out('*** FATAL AOF MANIFEST FILE ERROR ***');
    if (err.line > 0) out(`Reading the manifest file, at line ${err.line}\n>>> '${err.text}'`);
    out(err.message);
    return 1;
  }
  const dir = path.dirname(target);
  const total = (m.base === null ? 0 : 1) + m.incr.length;
  let n = 0;
  if (m.base !== null) {
    const file = path.join(dir, m.base.name);
    let rdb = false;
    try {
      rdb = isRdb(fs.readFileSync(file).subarray(0, 5));
    } catch {
      // Reported by checkFile.
    }
    out(`Start to check BASE AOF (${rdb ? 'RDB' : 'RESP'} format).`);
    const r = await checkFile(m.base.name, file, ++n === total, fix);
    if (r === 'invalid') return 1;
    report('BASE AOF ', m.base.name, r);
  }
  if (m.incr.length > 0) {
    out('Start to check INCR files.');
    for (const f of m.incr) {
      const r = await checkFile(f.name, path.join(dir, f.name), ++n === total, fix);
      if (r === 'invalid') return 1;
      report('INCR AOF ', f.name, r);
    }
  }
  out('All AOF files and manifest are valid');
  return 0;
}

// Progress lines of the long benchmarks, on stderr (stdout carries their Markdown report), each
// stamped with the time of day.

export function log(s: string): void {
  process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${s}\n`);
}

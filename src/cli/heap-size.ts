// `node heap-size.js [config-file] [--directive value ...]`: prints the V8 old-generation size in
// MB (for --max-old-space-size) that the configuration's maxmemory needs, or nothing when it sets
// none or cannot be read here (the server itself then reports the problem). bin/redoubt runs it
// before it execs the server; docs/memory.md explains the sizing.

import { parseCommandLine } from '../config/cli-args.js';
import { loadStartupConfig } from '../config/load.js';
import { heapSizeFor } from '../server/memory.js';

function main(argv: string[]): string {
  const cli = parseCommandLine(argv);
  // Standard input is the server's to read: a configuration given there is not looked at twice.
  if (cli.kind !== 'run' || cli.stdin) return '';
  try {
    const maxmemory = loadStartupConfig(cli, (words) => ({ rules: words.slice(1) })).config.num('maxmemory');
    return maxmemory > 0 ? `${heapSizeFor(maxmemory)}\n` : '';
  } catch {
    return '';
  }
}

process.stdout.write(main(process.argv.slice(2)));

#!/usr/bin/env node
// The `redoubt` command: `redoubt [config-file] [--directive value ...]` starts the server, as
// redis-server does.

import { Config } from '../config/config.js';
import { applyDirective, loadConfigFile, StartupConfigError } from '../config/load.js';
import { Server } from '../server/server.js';
import { VERSION, REDIS_VERSION } from '../version.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`Redoubt v=${VERSION} redis_version=${REDIS_VERSION}\n`);
    return 0;
  }
  const config = new Config();
  let i = 0;
  try {
    if (argv[0] !== undefined && !argv[0].startsWith('--')) {
      loadConfigFile(config, argv[0]);
      i = 1;
    }
    while (i < argv.length) {
      const name = argv[i]!.slice(2).toLowerCase();
      const words: string[] = [];
      i++;
      while (i < argv.length && !argv[i]!.startsWith('--')) words.push(argv[i++]!);
      applyDirective(config, name, words, 'command line');
    }
  } catch (err) {
    if (err instanceof StartupConfigError) {
      process.stderr.write(`*** FATAL CONFIG ERROR (Redoubt ${VERSION}) ***\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const server = new Server(config);
  await server.start();
  server.log.notice(`Redoubt ${VERSION} (Redis ${REDIS_VERSION} compatible) started, pid=${process.pid}`);
  server.log.notice(`Ready to accept connections on ${server.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}`);
  await new Promise<void>((resolve) => {
    server.onShutdown = resolve;
    const stop = (sig: string) => void server.shutdown(`Received ${sig} scheduling shutdown...`);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
// The `redoubt` command: `redoubt [config-file] [--directive value ...] [-]` starts the server, as
// redis-server does; a refused configuration prints where and why, and exits with status 1.

import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { parseCommandLine, usage } from '../config/cli-args.js';
import { formatStartupError, StartupConfigError } from '../config/config-file.js';
import type { StartupConfig } from '../config/load.js';
import { bindHosts, formatAddress, formatReport, isBlocking, postureFindings, securityPosture } from '../config/posture.js';
import { createCommandTable } from '../commands/registry.js';
import type { Server } from '../server/server.js';
import { createServer, loadServerConfig } from './compose.js';
import { beginLoading, loadDataAtStartup, startupRdbFile } from '../server/rdb-load.js';
import { VERSION, REDIS_VERSION } from '../version.js';
import { daemonize, DEFAULT_PIDFILE, isDaemonChild, releaseParent, rootRefusal, supervision, SystemdNotifier } from './supervise.js';
import { SyslogWriter } from './syslog.js';

const PRODUCT = `Redoubt ${VERSION}, Redis ${REDIS_VERSION} compatible`;

/** The ACL users the server has (or would have) from its configuration, as ACL LIST shows them. */
function usersOf(server: Server): string[] {
  return [...server.acl.users.values()].map((u) => `user ${u.name} ${u.describe()}`);
}

/**
 * `redoubt --check-config [file] [--directive value ...]`: loads the configuration as the server
 * would, prints its security gaps, and exits 1 when any is critical or high, 2 when the configuration is invalid.
 */
function checkConfig(argv: string[]): number {
  const cli = parseCommandLine(argv);
  if (cli.kind !== 'run') {
    process.stderr.write('Usage: redoubt --check-config [/path/to/redoubt.conf] [--directive value ...] [-]\n');
    return 2;
  }
  const commands = createCommandTable();
  let startup: StartupConfig;
  try {
    startup = loadServerConfig(cli, commands);
  } catch (err) {
    if (err instanceof StartupConfigError) {
      process.stderr.write(formatStartupError(err, PRODUCT));
      return 2;
    }
    throw err;
  }
  const config = startup.config;
  const hosts = config.num('port') === 0 && config.num('tls-port') === 0 ? [] : bindHosts(config.str('bind'));
  // A server that is built but never started: its users are exactly those it would run with.
  const server = createServer(config, commands, startup.users);
  server.log.level = 'nothing';
  const findings = postureFindings({ config, hosts, users: usersOf(server) });
  let source = startup.configFile !== '' ? startup.configFile : cli.stdin ? 'standard input' : 'the default configuration';
  if (cli.options.length > 0) source += ' with command-line directives';
  process.stdout.write(formatReport(source, findings));
  return findings.some(isBlocking) ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const program = 'redoubt';
  // Consumed first, so that no helper process this one starts inherits it.
  const daemonChild = isDaemonChild();
  if (argv[0] === '--check-config') return checkConfig(argv.slice(1));
  // Loaded only when asked for, so starting the server does not load the auditor.
  if (argv[0] === 'audit') return (await import('../audit/index.js')).runAudit(argv.slice(1));
  if (argv[0] === 'check-rdb') return (await import('./check-rdb.js')).checkRdb(argv.slice(1));
  if (argv[0] === 'check-aof') return (await import('./check-aof.js')).runCheckAof(argv.slice(1));
  if (argv[0] === 'cluster-local') return (await import('./cluster-local.js')).runClusterLocal(argv.slice(1));
  const cli = parseCommandLine(argv);
  if (cli.kind === 'help') {
    process.stdout.write(usage(program));
    return 0;
  }
  if (cli.kind === 'version') {
    process.stdout.write(`Redoubt v=${VERSION} redis_version=${REDIS_VERSION} node=${process.version} bits=64\n`);
    return 0;
  }
  if (cli.kind === 'unsupported') {
    process.stderr.write(`${cli.option} is not supported by Redoubt. See ${program} --help.\n`);
    return 1;
  }

  let startup: StartupConfig;
  let server: Server;
  try {
    const commands = createCommandTable();
    startup = loadServerConfig(cli, commands);
    server = createServer(startup.config, commands, startup.users);
    server.configFile = startup.configFile;
  } catch (err) {
    if (err instanceof StartupConfigError) {
      process.stderr.write(formatStartupError(err, PRODUCT));
      return 1;
    }
    throw err;
  }

  const config = startup.config;
  const log = server.log;
  const refusal = rootRefusal();
  if (refusal !== null) {
    process.stderr.write(refusal);
    return 1;
  }
  if (config.bool('syslog-enabled')) {
    log.syslog = new SyslogWriter(config.str('syslog-ident'), config.str('syslog-facility'), config.str('syslog-socket'), (m) => {
      log.syslog = null;
      log.warning(m);
    });
  }
  // As Redis: a supervised server stays in the foreground even with daemonize yes.
  const supervised = supervision(config.str('supervised'), log);
  const background = config.bool('daemonize') && supervised === null;
  if (background && !daemonChild) {
    if (cli.stdin) {
      process.stderr.write('daemonize yes cannot be used with a configuration read from standard input: put it in a file.\n');
      return 1;
    }
    return daemonize(config.str('logfile'));
  }
  const systemd = supervised === 'systemd' ? new SystemdNotifier(log) : null;
  systemd?.notify('STATUS=Redoubt is loading...');
  log.notice('Redoubt is starting');
  log.notice(`Redoubt version=${VERSION}, Redis compatibility=${REDIS_VERSION}, node=${process.version}, pid=${process.pid}, just started`);
  if (startup.configFile !== '') log.notice(`Configuration loaded from ${startup.configFile}`);
  else if (cli.stdin) log.notice('Configuration loaded from standard input');
  else log.notice(`No config file specified, using the default config. To use one: ${program} /path/to/redoubt.conf`);

  // Signals are handled from here on: one may arrive while the sockets are still being opened.
  const stopped = new Promise<void>((resolve) => {
    server.onShutdown = resolve;
  });
  // Once, as a shutdown begins: before the final save on a signal (as Redis's prepareForShutdown),
  // when the server stops otherwise (SHUTDOWN).
  let stoppingSent = false;
  const stopping = (): void => {
    if (systemd === null || stoppingSent) return;
    stoppingSent = true;
    systemd.notify('STOPPING=1');
  };
  server.onStopping = stopping;
  const stop = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (server.shuttingDown) {
      // As Redis: a second SIGINT while shutting down exits at once.
      if (sig === 'SIGINT') {
        log.warning('You insist... exiting now.');
        server.rdb.kill();
        process.exit(1);
      }
      return;
    }
    log.warning(`Received ${sig} scheduling shutdown...`);
    log.warning('User requested shutdown...');
    stopping();
    // shutdown-on-sigint / shutdown-on-sigterm: "default", or any of save, nosave, now, force.
    const words = new Set(config.str(sig === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm').split(' '));
    if (!server.rdb.finalSave({ save: words.has('save'), nosave: words.has('nosave'), force: words.has('force') })) {
      log.warning('Errors trying to shut down the server. Check the logs for more information.');
      log.warning(`${sig} received but errors trying to shut down the server, check the logs for more information`);
      systemd?.notify("STATUS=Error trying to save the DB, can't exit.");
      return;
    }
    void server.shutdown('');
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // As Redis: a daemonized server writes a pidfile even when none is named.
  const pidfile = config.str('pidfile') !== '' ? config.str('pidfile') : background ? DEFAULT_PIDFILE : '';
  // Only a pidfile this server wrote is removed: a start that fails must not take a running one's.
  let ownPidfile = '';
  const socketPath = config.str('unixsocket');
  // A client that connects before the dataset is whole gets -LOADING, from the first listener on.
  // With appendonly yes the AOF is the dataset (the RDB file is not read), as in Redis.
  const aofOn = config.bool('appendonly');
  const rdbFile = startupRdbFile(server);
  if (rdbFile !== null || aofOn) beginLoading(server);
  try {
    await server.start();
  } catch (err) {
    log.warning(err instanceof Error ? err.message : String(err));
    log.warning('Failed to start listening, exiting.');
    return 1;
  }
  if (!server.shuttingDown) {
    const socketPerm = config.num('unixsocketperm');
    if (socketPath !== '' && socketPerm !== 0) chmodSync(socketPath, socketPerm);
    log.notice(`Listening on ${server.addresses.map(formatAddress).join(', ')}`);
    // Written once the server listens (as Redis's createPidFile after initServer): a pid in the
    // file is a server that can be reached; it is removed at exit.
    if (pidfile !== '') {
      try {
        writeFileSync(pidfile, `${process.pid}\n`);
        ownPidfile = pidfile;
      } catch (err) {
        log.warning(`Failed to write PID file: ${(err as Error).message}`);
      }
    }
    if (daemonChild) releaseParent();
    for (const { level, text } of securityPosture(config, server.addresses, usersOf(server))) log[level](text);
    // As Redis: listening first, so clients get -LOADING (not a refused connection) meanwhile.
    try {
      if (aofOn) await server.aof.loadAndOpen();
      else if (rdbFile !== null) await loadDataAtStartup(server, rdbFile);
    } catch (err) {
      // SIGTERM or SIGINT during the load: a shutdown, not a failure (Redis exits 0 too). Read
      // through a call: the flag was false before the await, and a signal may have set it since.
      if (shuttingDown(server)) {
        await stopped;
        removeFile(ownPidfile);
        return 0;
      }
      log.warning(`Fatal error loading the DB: ${err instanceof Error ? err.message : String(err)} Exiting.`);
      await server.shutdown('Exiting after a failed load.');
      removeFile(ownPidfile);
      return 1;
    }
    // Cluster mode: the slots the loaded keys live in are checked against nodes.conf (as Redis).
    if (server.cluster.mode !== null && !server.cluster.mode.verifyWithData()) {
      log.warning("You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.");
      await server.shutdown('');
      removeFile(ownPidfile);
      return 1;
    }
    // Opens the audit destination now, so a path that cannot be written is reported at startup.
    server.audit.event('server-start', { pid: process.pid, version: VERSION, addresses: server.addresses.map(formatAddress).join(' ') });
    log.notice('Ready to accept connections');
    systemd?.notify('STATUS=Ready to accept connections', 'READY=1');
  }
  await stopped;
  removeFile(ownPidfile);
  removeFile(socketPath);
  await systemd?.settled();
  return 0;
}

function shuttingDown(server: Server): boolean {
  return server.shuttingDown;
}

function removeFile(path: string): void {
  if (path === '') return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

// The composition root: the one place that builds a server with everything it owns. The command
// table, the configuration and the startup users come in; the Server builds its subsystems in its
// constructor, and the scripting ones, which sit above it in the layers, are made here and handed
// in. cli/main.ts runs it for `redoubt` and `redoubt --check-config`; tests run it in-process.

import type { Config } from '../config/config.js';
import { loadStartupConfig, type StartupConfig } from '../config/load.js';
import { StartupConfigError, type UserLine } from '../config/config-file.js';
import type { CommandTable } from '../commands/registry.js';
import { checkStartupUsers, userLineCheck } from '../security/acl/startup.js';
import { Server } from '../server/server.js';
import { Scripting } from '../scripting/scripts.js';
import { Functions } from '../scripting/functions.js';
import { Replication } from '../server/replication.js';

/** Builds a server (not yet listening: call start()). */
export function createServer(config: Config, commands: CommandTable, startupUsers: readonly UserLine[]): Server {
  return new Server(config, commands, startupUsers, {
    scripts: (server) => new Scripting(server),
    functions: (server) => new Functions(server),
    replication: (server) => new Replication(server),
  });
}

/**
 * Reads the startup configuration (file, standard input, flags) with the ACL's checks of `user`
 * lines, then applies rename-command to `commands`. Throws StartupConfigError naming the line.
 */
export function loadServerConfig(
  cli: { configFile: string | null; stdin: boolean; options: readonly string[] },
  commands: CommandTable,
): StartupConfig {
  const startup = loadStartupConfig(cli, userLineCheck(commands.universe));
  checkStartupUsers(startup.config, startup.users, commands.universe);
  applyRenames(commands, startup);
  return startup;
}

/** rename-command lines, with Redis's refusals. */
function applyRenames(commands: CommandTable, startup: StartupConfig): void {
  for (const r of startup.renames) {
    const fail = (reason: string): never => {
      throw new StartupConfigError(reason, r.source, r.lineNumber, r.lineText);
    };
    const cmd = commands.lookup(r.from) ?? fail('No such command in rename-command');
    commands.remove(cmd.spec.name);
    if (r.to !== '') {
      if (commands.lookup(r.to)) fail('Target command name already exists');
      commands.alias(r.to, cmd);
    }
  }
}

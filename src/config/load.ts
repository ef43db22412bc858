// Building the startup configuration: defaults, then the config file, then standard input, then
// `--directive value` flags (later ones win), then the checks Redis makes once all is read.

import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Config } from './config.js';
import { ConfigLoader, StartupConfigError, type Rename, type UserLine } from './config-file.js';
import * as E from '../errors.js';
import { User } from '../security/acl/user.js';
import { loadAclFile } from '../security/acl/file.js';
import { setStartupUsers } from '../security/acl/state.js';
import { strerror } from './special.js';

export { StartupConfigError };

export interface StartupConfig {
  readonly config: Config;
  /** Absolute path of the config file (for CONFIG REWRITE and INFO), or ''. */
  readonly configFile: string;
  readonly renames: readonly Rename[];
}

export function loadStartupConfig(opts: { configFile: string | null; stdin: boolean; options: readonly string[] }): StartupConfig {
  const config = new Config();
  const loader = new ConfigLoader(config);
  // Resolved before the file runs, since a `dir` line in it changes the working directory.
  const configFile = opts.configFile === null ? '' : resolve(opts.configFile);
  if (configFile !== '') loader.loadFile(configFile);
  if (opts.stdin) {
    let text: string;
    try {
      text = readFileSync(0, 'latin1');
    } catch (err) {
      throw new StartupConfigError(`Fatal error, can't read config from stdin: ${strerror(err)}`);
    }
    loader.loadText(text, { label: 'the configuration from standard input', unit: 'line' });
  }
  opts.options.forEach((line, i) => loader.directive(line, { label: 'the command line', unit: 'option' }, i + 1));
  const logfile = config.str('logfile');
  if (logfile !== '') {
    // Checked now, as Redis does: the server could not report the problem later.
    try {
      appendFileSync(logfile, '');
    } catch (err) {
      throw new StartupConfigError(`Can't open the log file: ${strerror(err)}`);
    }
  }
  loadStartupUsers(config, loader.users);
  return { config, configFile, renames: loader.renames };
}

/**
 * Redis's ACLLoadUsersAtStartup checks: `user` lines and an aclfile never together, every rule of
 * a `user` line names real commands, and the aclfile loads cleanly. The users themselves are built
 * with the server.
 */
function loadStartupUsers(config: Config, users: readonly UserLine[]): void {
  const aclfile = config.str('aclfile');
  if (aclfile !== '' && users.length > 0) throw new StartupConfigError(E.ACL_USERS_AND_ACLFILE);
  for (const { rules } of users) {
    const [name, ...ops] = rules;
    const u = new User(name!);
    for (const op of ops) {
      const err = u.apply(op);
      if (err !== null) throw new StartupConfigError(E.aclRuleLoadError(op, name!, E.ACL_RULE_ERRORS[err]));
    }
  }
  if (aclfile !== '') {
    const loaded = loadAclFile(aclfile, false);
    if (typeof loaded === 'string') throw new StartupConfigError(E.aclStartupError(loaded));
  }
  setStartupUsers(config, users.map((u) => [...u.rules]));
}

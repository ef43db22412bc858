// Building the startup configuration: defaults, then the config file, then standard input, then
// `--directive value` flags (later ones win), then the checks Redis makes once all is read.

import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Config } from './config.js';
import { ConfigLoader, StartupConfigError, type Rename, type UserLine, type UserLineCheck } from './config-file.js';
import { strerror } from './special.js';

export interface StartupConfig {
  readonly config: Config;
  /** Absolute path of the config file (for CONFIG REWRITE and INFO), or ''. */
  readonly configFile: string;
  readonly renames: readonly Rename[];
  /** `user` lines, as `checkUser` kept them. */
  readonly users: readonly UserLine[];
}

/** `checkUser` judges each `user` line as it is read (the ACL's rules: security/acl/startup.ts). */
export function loadStartupConfig(
  opts: { configFile: string | null; stdin: boolean; options: readonly string[] },
  checkUser: UserLineCheck,
): StartupConfig {
  const config = new Config();
  const loader = new ConfigLoader(config, checkUser);
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
  return { config, configFile, renames: loader.renames, users: loader.users };
}

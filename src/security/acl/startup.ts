// The ACL checks of a startup configuration, as Redis's ACLAppendUserForLoading (each `user` line
// as it is read) and ACLLoadUsersAtStartup (once everything is read). The config loader calls the
// first through the callback the composition root hands it, since config/ sits below security/.

import * as E from '../../errors.js';
import type { Config } from '../../config/config.js';
import { StartupConfigError, type UserLine, type UserLineCheck } from '../../config/config-file.js';
import type { CommandUniverse } from './commands.js';
import { loadAclFile } from './file.js';
import { User, mergeSelectorArgs } from './user.js';

/** Checks one `user` line (argv: "user", name, rules...); unknown commands wait for the end. */
export function userLineCheck(universe: CommandUniverse): UserLineCheck {
  return (argv, seen) => {
    const name = argv[1];
    if (name === undefined) return E.userDeclarationError('', E.ACL_RULE_ERRORS.syntax);
    if (seen.some((u) => u.rules[0] === name)) return E.userDeclarationError(name, E.ACL_RULE_ERRORS['duplicate-user']);
    const merged = mergeSelectorArgs(argv.slice(2));
    // Redis names argv[index] (off by the two leading words) and the errno left from before.
    if (typeof merged === 'number') return E.userDeclarationError(argv[merged] ?? '', E.ACL_RULE_ERRORS.unknown);
    const fake = new User(name, universe);
    for (let j = 0; j < merged.length; j++) {
      const rule = merged[j];
      if (rule === undefined) continue;
      const err = fake.apply(rule);
      if (err !== null && err !== 'unknown') return E.userDeclarationError(argv[j] ?? '', E.ACL_RULE_ERRORS[err]);
    }
    return { rules: [name, ...merged] };
  };
}

/**
 * Redis's ACLLoadUsersAtStartup checks: `user` lines and an aclfile never together, every rule of
 * a `user` line names real commands, and the aclfile loads cleanly. The users themselves are built
 * with the server.
 */
export function checkStartupUsers(config: Config, users: readonly UserLine[], universe: CommandUniverse): void {
  const aclfile = config.str('aclfile');
  if (aclfile !== '' && users.length > 0) throw new StartupConfigError(E.ACL_USERS_AND_ACLFILE);
  for (const { rules } of users) {
    const [name, ...ops] = rules;
    if (name === undefined) continue;
    const u = new User(name, universe);
    for (const op of ops) {
      const err = u.apply(op);
      if (err !== null) throw new StartupConfigError(E.aclRuleLoadError(op, name, E.ACL_RULE_ERRORS[err]));
    }
  }
  if (aclfile !== '') {
    const loaded = loadAclFile(aclfile, universe, false);
    if (typeof loaded === 'string') throw new StartupConfigError(E.aclStartupError(loaded));
  }
}

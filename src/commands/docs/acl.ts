// COMMAND DOCS for the commands of ../acl.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity: string) => ({ summary, since, group: 'server', complexity });
const N_USERS = 'O(N) where N is the number of users.';

export const aclDocs: DocsTable = {
  acl: doc('Container for the access control list subcommands.', '6.0.0', 'Depends on subcommand.'),
  'acl|cat': { ...doc('Lists the ACL categories, or the commands in one category.', '6.0.0', 'O(1) since the categories and commands are a fixed set.'), arguments: [{ name: 'categoryname', type: 'string', optional: true }] },
  'acl|deluser': { ...doc('Deletes users and disconnects the clients authenticated as them.', '6.0.0', 'O(1) amortized time considering the typical user.'), arguments: [{ name: 'username', type: 'string', multiple: true }] },
  'acl|dryrun': {
    ...doc('Tells whether a user could run a command, without running it.', '7.0.0', 'O(1).'),
    arguments: [
      { name: 'username', type: 'string' },
      { name: 'command', type: 'string' },
      { name: 'arg', type: 'string', optional: true, multiple: true },
    ],
  },
  'acl|genpass': { ...doc('Returns a random password from a secure source.', '6.0.0', 'O(1)'), arguments: [{ name: 'bits', type: 'integer', optional: true }] },
  'acl|getuser': {
    ...doc("Returns a user's flags, password digests and rules.", '6.0.0', 'O(N). Where N is the number of password, command and pattern rules that the user has.'),
    history: [
      ['6.2.0', 'Added Pub/Sub channel patterns.'],
      ['7.0.0', 'Added selectors and changed the format of key and channel patterns from a list to their rule representation.'],
    ],
    arguments: [{ name: 'username', type: 'string' }],
  },
  'acl|help': doc('Describes the ACL subcommands.', '6.0.0', 'O(1)'),
  'acl|list': doc('Lists every user as an ACL file line.', '6.0.0', N_USERS),
  'acl|load': doc('Replaces the users with those of the aclfile.', '6.0.0', N_USERS),
  'acl|log': {
    ...doc('Lists recent ACL denials, or clears them.', '6.0.0', 'O(N) with N being the number of entries shown.'),
    arguments: [
      {
        name: 'operation', type: 'oneof', optional: true,
        arguments: [
          { name: 'count', type: 'integer' },
          { name: 'reset', type: 'pure-token', token: 'RESET' },
        ],
      },
    ],
  },
  'acl|save': doc('Writes the users to the aclfile.', '6.0.0', N_USERS),
  'acl|setuser': {
    ...doc('Creates a user or changes its rules, all rules or none.', '6.0.0', 'O(N). Where N is the number of rules provided.'),
    history: [
      ['6.2.0', 'Added Pub/Sub channel patterns.'],
      ['7.0.0', 'Added selectors and key based permissions.'],
    ],
    arguments: [
      { name: 'username', type: 'string' },
      { name: 'rule', type: 'string', optional: true, multiple: true },
    ],
  },
  'acl|users': doc('Lists the user names.', '6.0.0', N_USERS),
  'acl|whoami': doc('Returns the user name of this connection.', '6.0.0', 'O(1)'),
};

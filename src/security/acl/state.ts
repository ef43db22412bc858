// The users of one server: the `default` user (always there; requirepass is its password), users
// from `user` config lines or the aclfile, ACL LOG, and what happens to connected clients when a
// user is deleted, reloaded or loses the means to log in. The server makes one in its constructor.

import { timingSafeEqual } from 'node:crypto';
import type { Server } from '../../server/server.js';
import type { Client } from '../../server/client.js';
import { User, hashPassword } from './user.js';
import { AclLog } from './log.js';
import { loadAclFile, saveAclFile } from './file.js';
import type { CommandUniverse } from './commands.js';
import type { UserLine } from '../../config/config-file.js';

export class Acl {
  /** By name; listed sorted by bytes, as Redis's radix tree. */
  users = new Map<string, User>();
  /** The same object for the server's lifetime: ACL LOAD copies into it, as Redis does. */
  readonly defaultUser: User;
  readonly log = new AclLog();
  /** Told after a user's rules change (ACL SETUSER, ACL LOAD): pub/sub closes subscribers who lost a channel. */
  readonly onUserChanged: ((user: User) => void)[] = [];

  /**
   * `startupUsers` were checked when the configuration was read (security/acl/startup.ts); the
   * aclfile, if set, is loaded here and replaces them.
   */
  constructor(
    readonly server: Server,
    /** The commands rules may name. */
    readonly universe: CommandUniverse,
    startupUsers: readonly UserLine[],
  ) {
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    const requirepass = server.config.str('requirepass');
    if (requirepass !== '') this.setDefaultPassword(requirepass);
    for (const { rules: [name, ...rules] } of startupUsers) {
      if (name === undefined) continue;
      let u = this.users.get(name);
      if (u === undefined) {
        u = this.newUser(name);
        this.users.set(name, u);
      } else u.apply('reset');
      for (const r of rules) u.apply(r);
    }
    const aclfile = server.config.str('aclfile');
    if (aclfile !== '') {
      const err = this.load(aclfile);
      if (err !== null) server.log.warning(err);
    }
  }

  get pubsubAll(): boolean {
    return this.server.config.str('acl-pubsub-default') === 'allchannels';
  }

  newUser(name: string): User {
    return new User(name, this.universe, this.pubsubAll);
  }

  /** Redis's ACLCreateDefaultUser: on nopass ~* &* +@all. */
  createDefaultUser(): User {
    const u = this.newUser('default');
    for (const r of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(r);
    return u;
  }

  /** requirepass: the default user's only password, or nopass when empty. */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply('resetpass');
    this.defaultUser.apply(password === '' ? 'nopass' : `>${password}`);
  }

  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Redis's ACLCheckUserCredentials, comparing digests in constant time. */
  credentialsMatch(name: string, password: string): User | null {
    const u = this.users.get(name);
    if (u === undefined || !u.enabled) return null;
    if (u.nopass) return u;
    const candidate = Buffer.from(hashPassword(password), 'latin1');
    let ok = false;
    for (const digest of u.passwords) {
      if (timingSafeEqual(candidate, Buffer.from(digest, 'latin1'))) ok = true;
    }
    return ok ? u : null;
  }

  /** ACL LOAD (and the aclfile at startup): all users replaced, or nothing changes. */
  load(path: string): string | null {
    const loaded = loadAclFile(path, this.universe, this.pubsubAll);
    if (typeof loaded === 'string') return loaded;
    const fresh = loaded.get('default') ?? this.createDefaultUser();
    this.defaultUser.copyFrom(fresh);
    loaded.set('default', this.defaultUser);
    const old = this.users;
    this.users = loaded;
    this.userChanged(this.defaultUser);
    // As Redis 7.0, every old user except default is freed with its clients, even if redefined.
    for (const name of old.keys()) if (name !== 'default') this.disconnect(name);
    return null;
  }

  userChanged(user: User): void {
    for (const hook of this.onUserChanged) hook(user);
  }

  save(path: string): Error | null {
    return saveAclFile(path, this.sortedUsers());
  }

  /** Closes the connections authenticated as `name` (the caller's own after its reply). */
  disconnect(name: string): void {
    const current = this.server.clients;
    for (const c of [...current.values()]) {
      if (c.user !== name || !c.authenticated) continue;
      c.user = 'default';
      c.authenticated = false;
      if (isRunning(c)) c.closeAfterReply = true;
      else this.server.closeClient(c);
    }
  }
}

/** The client whose command is running now (its reply must still go out). */
function isRunning(c: Client): boolean {
  return c.current !== null;
}

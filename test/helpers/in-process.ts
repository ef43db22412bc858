// A server built in the test's own process, for tests that must reach inside it (its keyspace,
// its hooks, two servers side by side): the real Server and dispatcher, no socket, clients with
// no network peer. Everything else goes through real processes (servers.ts).

import assert from 'node:assert/strict';
import type { Server } from '../../src/server/server.js';
import { createServer } from '../../src/cli/compose.js';
import { createCommandTable } from '../../src/commands/registry.js';
import { Config } from '../../src/config/config.js';
import { Client } from '../../src/server/client.js';
import { dispatch } from '../../src/server/dispatcher.js';
import { RespParser } from '../../src/protocol/resp-parser.js';

function withoutSavePoints(config: Config): Config {
  const save = config.lookup('save');
  assert.ok(save !== undefined);
  assert.equal(config.store(save, ''), undefined);
  return config;
}

export class InProcessServer {
  // Without save points, as the process helpers start servers: FLUSHALL must not write dump.rdb here.
  readonly server: Server = createServer(withoutSavePoints(new Config()), createCommandTable(), []);
  /** The client send() uses unless given another. */
  client: Client;

  constructor() {
    this.server.log.level = 'nothing';
    this.client = this.newClient();
  }

  /** An authenticated client with no socket; its parser lets it resume (reading nothing) after a wait. */
  newClient(): Client {
    const c = new Client(this.server, null);
    c.authenticated = true;
    c.parser = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false });
    this.server.clients.set(c.id, c);
    return c;
  }

  /** Runs one command through the dispatcher and returns its raw RESP reply. */
  send(argv: readonly string[], c: Client = this.client): string {
    dispatch(c, [...argv]);
    c.afterCommand();
    return Buffer.concat(c.reply.take()).latin1Slice();
  }

  /** Runs a command that must not fail. */
  ok(argv: readonly string[], c: Client = this.client): string {
    const reply = this.send(argv, c);
    assert.notEqual(reply[0], '-', `${argv.join(' ')} -> ${reply.trim()}`);
    return reply;
  }

  /** The string of a bulk reply. */
  bulk(argv: readonly string[], c: Client = this.client): string {
    const reply = this.ok(argv, c);
    const m = /^\$(\d+)\r\n/.exec(reply);
    assert.ok(m, `${argv.join(' ')} did not answer a bulk string: ${reply}`);
    return reply.slice(m[0].length, m[0].length + Number(m[1]));
  }

  /** A numeric field of INFO ALL. */
  info(field: string): number {
    const m = new RegExp(`\\r\\n${field}:(\\d+)\\r\\n`).exec(this.bulk(['INFO', 'all']));
    assert.ok(m, `INFO has no ${field}`);
    return Number(m[1]);
  }

  /** Disconnects every client (timers of blocked ones included). */
  close(): void {
    for (const c of [...this.server.clients.values()]) this.server.closeClient(c);
  }
}

// A plain TCP connection to a server under test on loopback, for benchmarks that speak RESP
// themselves, and the one request several of them make before they measure (SCRIPT LOAD).

import net from 'node:net';
import { RawClient } from '../test/helpers/raw-client.js';

/** Connects to 127.0.0.1:`port` with Nagle off; resolves once connected. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** SCRIPT LOAD of `body` into the server on `port`; returns the script's SHA1. */
export async function loadScript(port: number, body: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const reply = await c.call('SCRIPT', 'LOAD', body);
    const sha = /^\$40\r\n([0-9a-f]{40})\r\n$/.exec(reply)?.[1];
    if (sha === undefined) throw new Error(`SCRIPT LOAD answered ${JSON.stringify(reply)}`);
    return sha;
  } finally {
    c.close();
  }
}

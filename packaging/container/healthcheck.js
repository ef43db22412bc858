// The container's HEALTHCHECK: authenticates with the password file the entry point used and
// expects PONG; exits 0 when healthy, 1 otherwise. `node healthcheck.js [port]` (default 6379).
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import net from 'node:net';

const port = Number(process.argv[2] ?? process.env.REDOUBT_PORT ?? 6379);
const file = process.env.REDOUBT_PASSWORD_FILE ?? '/run/secrets/redoubt_password';
const password = readFileSync(file).toString('latin1').replace(/\n$/, '');
const bulk = (s) => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
const request = Buffer.from(`*2\r\n${bulk('AUTH')}${bulk(password)}*1\r\n${bulk('PING')}`, 'latin1');

let reply = '';
const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(request));
socket.setTimeout(2000, () => socket.destroy(new Error('timed out')));
socket.on('data', (d) => {
  reply += d.toString('latin1');
  if (reply === '+OK\r\n+PONG\r\n') {
    socket.end();
    process.exit(0);
  }
  if (reply.includes('\r\n+') || reply.startsWith('-')) fail(reply.trim());
});
socket.on('error', (err) => fail(err.message));
socket.on('close', () => fail(`closed after ${JSON.stringify(reply)}`));

function fail(why) {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

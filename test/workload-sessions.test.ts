// Express 5 + express-session with connect-redis (node-redis) storing sessions on Redoubt: an app on
// a loopback port, driven with fetch and its cookie, checked against what the store holds (the
// session JSON, a TTL matching the cookie's maxAge, TOUCH refreshing it, logout deleting it).

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import type { RunningServer } from './helpers/servers.js';
import { sleep, startTarget, targetName } from './helpers/workload-target.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
    views: number;
  }
}

type RedisClient = ReturnType<typeof createClient>;

interface App {
  readonly url: string;
  readonly store: RedisStore;
  close(): Promise<void>;
}

/** An app whose sessions live in `client` under `prefix`, with cookies lasting `maxAge` ms. */
async function startApp(client: RedisClient, prefix: string, maxAge: number): Promise<App> {
  const store = new RedisStore({ client, prefix });
  const app = express();
  app.use(session({ store, secret: 'workload secret', resave: false, saveUninitialized: false, cookie: { maxAge } }));
  app.post('/login/:user', (req, res) => {
    req.session.user = req.params.user;
    req.session.views = 0;
    res.json({ ok: true });
  });
  // Reading does not modify the session, so express-session touches it instead of saving it.
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null });
  });
  app.post('/view', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err: unknown) => (err ? next(err) : res.json({ ok: true })));
  });
  const http: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/** The `name=value` part of the session cookie a response set, and the session id inside it. */
function sessionCookie(res: Response): { cookie: string; sid: string } {
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('connect.sid='));
  assert.ok(setCookie, 'the response sets the session cookie');
  const cookie = setCookie.split(';')[0]!;
  // The value is "s:<sid>.<signature>", URI-encoded.
  const signed = decodeURIComponent(cookie.slice('connect.sid='.length));
  assert.ok(signed.startsWith('s:'));
  return { cookie, sid: signed.slice(2, signed.lastIndexOf('.')) };
}

async function call(app: App, method: 'GET' | 'POST', path: string, cookie?: string): Promise<{ res: Response; body: Record<string, unknown> }> {
  const headers: Record<string, string> = cookie === undefined ? {} : { cookie };
  const res = await fetch(app.url + path, { method, headers });
  assert.equal(res.status, 200, `${method} ${path}`);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe(`express-session with connect-redis on ${targetName}`, { timeout: 30000 }, () => {
  let server: RunningServer;
  let client: RedisClient;
  before(async () => {
    server = await startTarget();
    client = createClient({ socket: { port: server.port, host: '127.0.0.1' } });
    await client.connect();
  });
  after(async () => {
    client.destroy();
    await server.stop();
  });

  test('log in, come back with the cookie, touch, log out', async () => {
    const app = await startApp(client, 'sess:', 60_000);
    try {
      const anon = await call(app, 'GET', '/me');
      assert.equal(anon.body['user'], null);
      assert.equal(anon.res.headers.getSetCookie().length, 0, 'no session is saved before login');
      assert.equal(await client.dbSize(), 0);

      const login = await call(app, 'POST', '/login/alice');
      const { cookie, sid } = sessionCookie(login.res);
      const key = `sess:${sid}`;
      const stored = JSON.parse((await client.get(key)) ?? 'null') as { user: string; cookie: { originalMaxAge: number } };
      assert.equal(stored.user, 'alice');
      assert.equal(stored.cookie.originalMaxAge, 60_000);
      // The key expires with the cookie: maxAge 60 s.
      const ttl = await client.ttl(key);
      assert.ok(ttl >= 59 && ttl <= 60, `ttl ${ttl}`);

      const me = await call(app, 'GET', '/me', cookie);
      assert.equal(me.body['user'], 'alice');

      // An unmodified session is touched on each request: EXPIRE brings the TTL back up.
      await client.expire(key, 5);
      await call(app, 'GET', '/me', cookie);
      const touched = await client.ttl(key);
      assert.ok(touched >= 59 && touched <= 60, `ttl after touch ${touched}`);

      // A modified session is saved again with SET EX.
      assert.equal((await call(app, 'POST', '/view', cookie)).body['views'], 1);
      assert.equal((await call(app, 'POST', '/view', cookie)).body['views'], 2);
      const saved = JSON.parse((await client.get(key)) ?? 'null') as { views: number };
      assert.equal(saved.views, 2);

      await call(app, 'POST', '/logout', cookie);
      assert.equal(await client.exists(key), 0, 'logout deletes the session key');
      const after = await call(app, 'GET', '/me', cookie);
      assert.equal(after.body['user'], null);
    } finally {
      await app.close();
    }
  });

  test('a session ends when its key expires with a short maxAge', async () => {
    const app = await startApp(client, 'short:', 1000);
    try {
      const login = await call(app, 'POST', '/login/bob');
      const { cookie, sid } = sessionCookie(login.res);
      const ttl = await client.pTTL(`short:${sid}`);
      assert.ok(ttl > 0 && ttl <= 1000, `pttl ${ttl}`);
      assert.equal((await call(app, 'GET', '/me', cookie)).body['user'], 'bob');
      await sleep(1200);
      assert.equal(await client.exists(`short:${sid}`), 0);
    } finally {
      await app.close();
    }
  });

  test('the store lists, counts and clears its sessions with SCAN, leaving other keys alone', async () => {
    const app = await startApp(client, 'list:', 60_000);
    try {
      await client.set('unrelated', 'stays');
      const sids: string[] = [];
      for (const user of ['u1', 'u2', 'u3', 'u4', 'u5']) {
        sids.push(sessionCookie((await call(app, 'POST', `/login/${user}`)).res).sid);
      }
      const store = app.store;
      assert.equal(await store.length(), 5);
      assert.deepEqual(((await store.ids()) as string[]).sort(), [...sids].sort());
      const all = (await store.all()) as { id: string; user: string }[];
      assert.deepEqual(all.map((s) => s.user).sort(), ['u1', 'u2', 'u3', 'u4', 'u5']);
      assert.ok(all.every((s) => sids.includes(s.id)));
      const one = (await store.get(sids[2]!)) as { user: string };
      assert.equal(one.user, 'u3');
      await store.clear();
      assert.equal(await store.length(), 0);
      assert.equal(await client.get('unrelated'), 'stays');
    } finally {
      await app.close();
    }
  });
});

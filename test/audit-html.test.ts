// The --html report rendered in Debian's headless Chromium (driven by playwright-core): the three
// charts draw bars, every endpoint has its detail, nothing is fetched from outside the file, and
// markup sent by a hostile endpoint shows as text instead of becoming part of the page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { REDOUBT_MAIN, startRedis, type RunningServer } from './helpers/servers.js';

const CHROMIUM = '/usr/bin/chromium';

/** The part of playwright-core this test uses (the package is optional at build time). */
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'console', cb: (m: { type(): string; text(): string }) => void): void;
  on(event: 'request', cb: (r: { url(): string }) => void): void;
  on(event: 'pageerror', cb: (e: Error) => void): void;
  title(): Promise<string>;
  locator(selector: string): { count(): Promise<number>; first(): { textContent(): Promise<string | null> } };
  evaluate(expression: string): Promise<unknown>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(o: { executablePath: string; headless: boolean; args?: string[] }): Promise<Browser> };
}

async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (Debian package: chromium)`;
  const name = 'playwright-core';
  try {
    return (await import(name)) as Playwright;
  } catch {
    return 'playwright-core is not installed';
  }
}

let dir: string;
const servers: RunningServer[] = [];
let hostile: net.Server;
let hostilePort = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redoubt-auditor-html-'));
  // Answers every command with an INFO whose fields carry markup.
  const info = '# Server\r\nredis_version:7.0.0<img src=x id=injected>\r\nos:<script>document.title="owned"</script>\r\nrole:master\r\n';
  hostile = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', () => s.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`));
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostilePort = (hostile.address() as net.AddressInfo).port;
});

after(async () => {
  for (const s of servers) await s.stop();
  hostile.close();
  rmSync(dir, { recursive: true, force: true });
});

function audit(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, 'audit', ...args], { stdio: 'ignore', env: { ...process.env, REDOUBT_AUDIT_PASSWORD: '' } });
    child.on('exit', resolve);
  });
}

test('the HTML report renders in Chromium with charts, details and no external loads', async (t) => {
  const pw = await loadPlaywright();
  if (typeof pw === 'string') {
    t.skip(`${pw}: install it to run this test`);
    return;
  }
  const open = await startRedis(['--protected-mode', 'no']);
  const locked = await startRedis(['--requirepass', 'html-secret']);
  servers.push(open, locked);
  const file = join(dir, 'report.html');
  assert.equal(await audit([`127.0.0.1:${open.port}`, `127.0.0.1:${locked.port}`, `127.0.0.1:${hostilePort}`, '--html', file, '--timeout', '2000']), 0);

  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`file://${file}`);
    assert.equal(await page.title(), 'Redoubt audit report');
    for (const id of ['chart-states', 'chart-versions', 'chart-severity']) assert.equal(await page.locator(`#${id} svg`).count(), 1, id);
    assert.equal(await page.locator('#chart-states .bar').count(), 2, 'open and auth-required');
    assert.ok((await page.locator('#chart-versions .bar').count()) >= 1);
    assert.equal(await page.locator('#chart-severity .bar').count(), 5);
    assert.equal(await page.locator('details.endpoint').count(), 3);
    assert.equal(await page.locator('#endpoints tbody tr').count(), 3);
    // Bars have a drawn size: the page laid out, not just parsed.
    const width = await page.evaluate("document.querySelector('#chart-states rect').getBBox().width");
    assert.ok(typeof width === 'number' && width > 0);
    // The hostile endpoint's markup stayed text.
    assert.equal(await page.locator('#injected').count(), 0);
    assert.equal(await page.locator('script').count(), 0);
    assert.match((await page.locator(`details[data-target="127.0.0.1:${hostilePort}"]`).first().textContent()) ?? '', /<img src=x id=injected>/);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'no request leaves the file');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

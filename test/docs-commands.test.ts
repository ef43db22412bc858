// Keeps the documents true about commands: every inline code span in the README, SECURITY.md and
// docs/ that names a Redis or Valkey command (or one of its subcommands) names one that Redoubt
// has, unless the sentence or the section around it says Redoubt does not have it. What a command is comes from
// the live reference servers' COMMAND replies.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redis8Missing, startRedis, startRedis8, startRedoubt, startValkey, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { decode, type RespValue } from './helpers/resp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const documents = ['README.md', 'SECURITY.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Words near a span that say the command is absent or refused in Redoubt. */
const ABSENT = /\b(not (yet )?(implemented|supported|available)|does not (have|exist|implement)|do not exist|is not there|are not there|has no|refused|unknown command|not done|missing|not in this change)\b/i;

interface Mention {
  file: string;
  line: number;
  command: string;
  sub: string | null;
  sentence: string;
  /** The heading of the section the mention is in. */
  heading: string;
}

/** Command names and `command|subcommand` names a server's COMMAND reply lists. */
async function commandNames(port: number): Promise<Set<string>> {
  const c = await RawClient.connect(port);
  try {
    const reply = decode(Buffer.from(await c.call('COMMAND'), 'latin1'));
    assert.ok(Array.isArray(reply));
    const names = new Set<string>();
    const add = (entry: RespValue): void => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return;
      names.add(entry[0].toLowerCase());
      const subs = entry[9];
      if (Array.isArray(subs)) subs.forEach(add);
    };
    reply.forEach(add);
    return names;
  } finally {
    c.close();
  }
}

/** Inline code spans whose first word is an upper-case name, with the sentence around them. */
function mentions(known: Set<string>): Mention[] {
  const out: Mention[] = [];
  for (const file of documents) {
    // Paragraphs outside fenced blocks, each joined into one line, with the line it starts on.
    const paragraphs: { line: number; text: string; heading: string }[] = [];
    let fenced = false;
    let heading = '';
    let current: { line: number; text: string; heading: string } | null = null;
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*```/.test(line)) fenced = !fenced;
        const blank = fenced || line.trim() === '' || /^\s*```/.test(line);
        // A table row is a paragraph of its own.
        if (blank || line.startsWith('|')) current = null;
        if (blank) return;
        if (line.startsWith('#')) {
          heading = line;
          current = null;
          return;
        }
        if (current === null) paragraphs.push((current = { line: i + 1, text: line.trim(), heading }));
        else current.text += ` ${line.trim()}`;
        if (line.startsWith('|')) current = null;
      });
    for (const { line, text, heading } of paragraphs) {
      for (const m of text.matchAll(/`([A-Z][A-Z0-9_-]*)(?: ([A-Z][A-Z0-9_-]*))?[^`]*`/g)) {
        const command = (m[1] ?? '').toLowerCase();
        if (!known.has(command)) continue;
        const subName = m[2] === undefined ? null : `${command}|${m[2].toLowerCase()}`;
        const sub = subName !== null && known.has(subName) ? subName : null;
        const start = text.lastIndexOf('. ', m.index) + 1;
        const stop = text.indexOf('. ', m.index);
        out.push({ file, line, command, sub, sentence: text.slice(start, stop === -1 ? undefined : stop).trim(), heading });
      }
    }
  }
  return out;
}

describe('commands the documents name', () => {
  const servers: RunningServer[] = [];
  let ours: Set<string>;
  const reference = new Set<string>();
  before(async () => {
    const redoubt = await startRedoubt();
    servers.push(redoubt);
    ours = await commandNames(redoubt.port);
    const peers = [startRedis(), startValkey()];
    if (redis8Missing() === null) peers.push(startRedis8());
    for (const peer of await Promise.all(peers)) {
      servers.push(peer);
      for (const name of await commandNames(peer.port)) reference.add(name);
    }
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  test('the reference servers list the commands the documents are checked against', () => {
    for (const name of ['get', 'config|set', 'client|list', 'hgetex', 'waitaof']) {
      if (name === 'hgetex' && redis8Missing() !== null) continue;
      assert.ok(reference.has(name), name);
    }
  });

  test('every command and subcommand a document names exists in Redoubt, unless its sentence or section says it does not', () => {
    const found = mentions(reference);
    assert.ok(found.length > 200, `only ${found.length} mentions found`);
    const wrong: string[] = [];
    for (const m of found) {
      const name = m.sub ?? m.command;
      const has = ours.has(name);
      const saysAbsent = ABSENT.test(m.sentence) || ABSENT.test(m.heading);
      if (!has && !saysAbsent) wrong.push(`${m.file}:${m.line}: \`${name}\` is not a Redoubt command: ${m.sentence.trim()}`);
    }
    assert.deepEqual(wrong, []);
  });
});

// The files of a multi-part AOF directory: the manifest (written to a temporary file, fsynced,
// renamed over the old one, the directory fsynced, as Redis since #10737), the INCR file being
// appended to, new BASE files, HISTORY files deleted once no manifest names them. Directories are
// created 0700 and files 0600; nothing is ever opened through a symbolic link.

import fs from 'node:fs';
import path from 'node:path';
import { emptyManifest, formatManifest, manifestName, parseManifest, tempManifestName, type AofManifest } from './manifest.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

export class AofDir {
  /** `dir` is the AOF directory's path (appenddirname under the server's dir); `prefix` is appendfilename. */
  constructor(
    readonly dir: string,
    readonly prefix: string,
  ) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  exists(): boolean {
    try {
      return fs.lstatSync(this.dir).isDirectory();
    } catch {
      return false;
    }
  }

  /** Creates the directory (0700) if missing; refuses a symbolic link in its place. */
  ensure(): void {
    try {
      const st = fs.lstatSync(this.dir);
      if (!st.isDirectory()) throw new Error(`${this.dir} exists and is not a directory`);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.mkdirSync(this.dir, { mode: 0o700 });
  }

  /** The manifest on disk, or null when the directory or the manifest does not exist. Throws ManifestError. */
  readManifest(): AofManifest | null {
    const p = this.file(manifestName(this.prefix));
    let text: string;
    try {
      text = readNoFollow(p).latin1Slice();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return parseManifest(text);
  }

  /** Writes `m` atomically: temporary file, fsync, rename, fsync of the directory. */
  writeManifest(m: AofManifest): void {
    const temp = this.file(tempManifestName(this.prefix));
    const data = Buffer.from(formatManifest(m), 'latin1');
    writeFileAtomic(temp, this.file(manifestName(this.prefix)), data);
    fsyncDir(this.dir);
  }

  /** Opens a file of the directory for appending (created 0600 if missing). */
  openAppend(name: string): number {
    return fs.openSync(this.file(name), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  }

  /** Writes a complete new file `name` from `data` through a temporary file (BASE files). */
  writeWhole(name: string, data: Buffer, tempName: string): void {
    writeFileAtomic(this.file(tempName), this.file(name), data);
    fsyncDir(this.dir);
  }

  size(name: string): number {
    try {
      return fs.lstatSync(this.file(name)).size;
    } catch {
      return 0;
    }
  }

  read(name: string): Buffer {
    return readNoFollow(this.file(name));
  }

  /** Deletes the HISTORY files and forgets them (Redis's aofDelHistoryFiles). */
  deleteHistory(m: AofManifest, log: (line: string) => void): void {
    if (m.history.length === 0) return;
    for (const f of m.history) {
      try {
        fs.unlinkSync(this.file(f.name));
        log(`Removing the history file ${f.name} in the background`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    m.history = [];
    this.writeManifest(m);
  }

  /**
   * An AOF from before Redis 7 (one `appendfilename` file in the server's dir): moved into the
   * directory as the BASE of a new manifest, as Redis's aofUpgradePrepare does.
   */
  upgradeOldStyle(oldPath: string, log: (line: string) => void): AofManifest {
    this.ensure();
    const m = emptyManifest();
    m.base = { name: this.prefix, seq: 1, type: 'b' };
    m.baseSeq = 1;
    this.writeManifest(m);
    fs.renameSync(oldPath, this.file(this.prefix));
    fsyncDir(this.dir);
    log(`Successfully migrated an old-style AOF into the AOF directory ${path.basename(this.dir)}.`);
    return m;
  }
}

function readNoFollow(p: string): Buffer {
  const fd = fs.openSync(p, O_RDONLY | O_NOFOLLOW);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Temp file opened exclusively (a stale one of ours is removed first), written, fsynced, renamed. */
function writeFileAtomic(temp: string, final: string, data: Buffer): void {
  try {
    fs.unlinkSync(temp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fd = fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, final);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

// A unix datagram socket a test owns, standing in for /dev/log or systemd's NOTIFY_SOCKET. Node
// cannot bind one, so a small python3 child does and prints each datagram as a JSON string line.

import { spawn, type ChildProcess } from 'node:child_process';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('ready', flush=True)
while True:
    print(json.dumps(s.recv(65536).decode('latin1')), flush=True)
`;

export class DatagramSink {
  readonly messages: string[] = [];
  private constructor(
    readonly path: string,
    private readonly child: ChildProcess,
  ) {}

  /** Binds `path` and resolves once datagrams sent to it are received. */
  static async open(path: string): Promise<DatagramSink> {
    const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.unref();
    const sink = new DatagramSink(path, child);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the datagram receiver exited (${String(code)})`)));
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line === 'ready') resolve();
          else sink.messages.push(JSON.parse(line) as string);
        }
      });
    });
    return sink;
  }

  /** Resolves with the first message (in arrival order) that `match` accepts, waiting up to `ms`. */
  async waitFor(match: (m: string) => boolean, ms = 10000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching datagram at ${this.path}; received:\n${this.messages.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.child.kill();
  }
}

// Node's Buffer has had latin1Slice/latin1Write since v0.x (Buffer#toString('latin1') calls them);
// they are not in @types/node. We call them directly on the hot path to skip encoding dispatch.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}
export {};

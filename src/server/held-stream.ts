// The replication stream held for a replica while it does a full sync: kept in chunks of about a
// megabyte as it comes, not as one small buffer per batch of effects, so that what a long sync
// under writes collected (hundreds of thousands of batches) goes out at its end in a few writes
// instead of holding the event loop for as many.

/** Bytes of one chunk. */
const CHUNK = 1 << 20;

export class HeldStream {
  private readonly chunks: Buffer[] = [];
  private tail: Buffer | null = null;
  private used = 0;

  /** Appends `data` (copied, unless it fills a chunk by itself). */
  append(data: Buffer): void {
    if (data.length >= CHUNK) {
      this.seal();
      this.chunks.push(data);
      return;
    }
    if (this.tail === null || this.used + data.length > this.tail.length) {
      this.seal();
      this.tail = Buffer.allocUnsafe(CHUNK);
    }
    data.copy(this.tail, this.used);
    this.used += data.length;
  }

  /** Everything held, in order; the stream is empty afterwards. */
  take(): Buffer[] {
    this.seal();
    return this.chunks.splice(0);
  }

  private seal(): void {
    if (this.tail !== null && this.used > 0) this.chunks.push(this.tail.subarray(0, this.used));
    this.tail = null;
    this.used = 0;
  }
}

/**
 * Items in turns by key: `shift()` takes the oldest item of the key whose turn it is, then moves
 * that key to the back of the line. A key with hundreds of items waits its turn like a key with
 * one, so the sender serves every subscription round-robin, whatever each one claimed.
 */
export class FairQueue<T> {
  private readonly lines = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    const line = this.lines.get(key);
    if (line) line.push(item);
    else this.lines.set(key, [item]);
    this.count++;
  }

  shift(): T | undefined {
    const next = this.lines.entries().next();
    if (next.done) return undefined;
    const [key, line] = next.value;
    const item = line.shift()!;
    // Map keeps insertion order: deleting and setting again sends the key to the back.
    this.lines.delete(key);
    if (line.length > 0) this.lines.set(key, line);
    this.count--;
    return item;
  }
}

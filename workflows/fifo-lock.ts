/**
 * Runs async sections one at a time, in the order they asked. Update handlers of one workflow
 * interleave at every await; a stop's changes must not, so each takes this lock.
 */
export class FifoLock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

import { FairQueue } from '../../worker/delivery/fair-queue';

const drain = <T>(q: FairQueue<T>): T[] => {
  const out: T[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
  return out;
};

describe('FairQueue', () => {
  it('serves keys in turns, each key its items in order', () => {
    const q = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) q.push('a', `a${i}`);
    q.push('b', 'b1');
    q.push('c', 'c1');
    q.push('c', 'c2');
    expect(q.size).toBe(7);
    expect(drain(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3', 'a4']);
    expect(q.size).toBe(0);
  });

  it('a key arriving late waits behind one turn of each key, not behind their backlog', () => {
    const q = new FairQueue<string>();
    for (let i = 1; i <= 100; i++) q.push('busy', `busy${i}`);
    for (let i = 1; i <= 100; i++) q.push('other', `other${i}`);
    q.shift();
    q.shift();
    q.push('late', 'late1');
    expect([q.shift(), q.shift(), q.shift()]).toEqual(['busy2', 'other2', 'late1']);
    expect(q.size).toBe(196);
  });

  it('is empty when nothing was pushed', () => {
    expect(new FairQueue<number>().shift()).toBeUndefined();
  });
});

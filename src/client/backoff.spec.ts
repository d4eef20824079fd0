import { Backoff } from './backoff.js';

function backoff(random: () => number, baseMs = 100, capMs = 1_000): Backoff {
  return new Backoff({ baseMs, capMs, random });
}

describe('Backoff', () => {
  it('doubles the ceiling with each attempt up to the cap', () => {
    const sut = backoff(() => 0.5);

    const delays = Array.from({ length: 6 }, () => sut.next());

    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(sut.attempts).toBe(6);
  });

  it('draws each delay from the whole range below the ceiling (full jitter)', () => {
    const draws = [0, 0.999, 0.25];
    const sut = backoff(() => draws.shift() ?? 0);

    const delays = [sut.next(), sut.next(), sut.next()];

    expect(delays).toEqual([0, 199.8, 100]);
  });

  it('starts again from the base after a reset', () => {
    const sut = backoff(() => 1);
    sut.next();
    sut.next();
    sut.next();

    sut.reset();

    expect(sut.attempts).toBe(0);
    expect(sut.next()).toBe(100);
  });

  it('stays at the cap however long the outage lasts', () => {
    const sut = backoff(() => 1);

    for (let i = 0; i < 2_000; i++) {
      sut.next();
    }

    expect(sut.next()).toBe(1_000);
  });
});

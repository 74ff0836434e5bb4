/**
 * mulberry32: a small seeded generator of numbers in [0, 1), so what is drawn is reproducible: the sandbox's
 * month and the scorecard's bootstrap resamples (the same tickets give the same intervals).
 */
// Held in a local: a global looked up in a hot loop is slow where the code runs in a vm context (jest).
const { imul } = Math;

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

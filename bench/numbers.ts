/** A figure rounded to two decimals, as the bench prints and records it. */
export const r2 = (n: number) => Math.round(n * 100) / 100;

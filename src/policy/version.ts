import type { Policy } from './schema';

/**
 * The version of a policy as a ticket was decided under it: a content hash of the resolved store policy (the top
 * level with the store's overrides), so two tickets share a version exactly when they were decided by the same
 * rules, whatever file or deployment the rules came from. Recorded on every decision (search attribute
 * `AutoReplyPolicyVersion`, the note) and grouped by in `npm run scorecard`. Pure and deterministic: the workflow
 * computes it. A release that adds a policy default changes the content, and so the version.
 */
export function policyVersion(policy: Policy): string {
  return fnv1a64(canonicalJson(policy)).slice(0, 12);
}

/** JSON with object keys sorted at every level: the same content gives the same text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * FNV-1a, 64 bits, over the text's UTF-16 code units (low byte, then high byte), as 16 hex digits. The 64-bit
 * product is carried in four 16-bit limbs: exact in doubles, and far faster than BigInt (the workflow runs it).
 */
function fnv1a64(text: string): string {
  // The offset basis 0xcbf29ce484222325, lowest limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const mix = (byte: number) => {
    h0 ^= byte;
    // Times the prime 0x100000001b3 = 2^40 + 0x1b3.
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    t2 += t1 >>> 16;
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
  };
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    mix(unit & 0xff);
    mix(unit >> 8);
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
}

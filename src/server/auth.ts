import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

export type AuthResult = { ok: true } | { ok: false; message: string };

/**
 * Checks `Authorization: Bearer <secret>` in constant time. Comparing digests keeps the comparison's
 * length fixed, so neither the secret's content nor its length leaks through timing. The secret's digest is
 * taken once, here; the returned check runs for every delivery.
 */
export function bearerCheck(secret: string): (header: string | undefined) => AuthResult {
  const secretDigest = digest(secret);
  return (header) => {
    if (!header)
      return { ok: false, message: 'Missing Authorization header: send "Authorization: Bearer <token>"' };
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match?.[1])
      return { ok: false, message: 'Malformed Authorization header: expected "Bearer <token>"' };
    if (!timingSafeEqual(digest(match[1]), secretDigest)) return { ok: false, message: 'Invalid token' };
    return { ok: true };
  };
}

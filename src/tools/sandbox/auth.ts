import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { errorBody } from './api-error';
import type { Answers } from './answers';

/** HTTP Basic auth with the account's username and API key (docs/gorgias.md, "Authentication"). */
export function requireBasicAuth(
  credentials: { username: string; apiKey: string },
  answers: Answers,
): RequestHandler {
  const expected = digest(`${credentials.username}:${credentials.apiKey}`);
  return (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      answers.send(res, 401, errorBody('Authentication required: use HTTP Basic auth with your API key.'));
      return;
    }
    const given = digest(Buffer.from(match[1], 'base64').toString('utf8'));
    // Compare digests in constant time, so the answer time says nothing about the key.
    if (!timingSafeEqual(given, expected)) {
      answers.send(res, 401, errorBody('Invalid credentials.'));
      return;
    }
    next();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

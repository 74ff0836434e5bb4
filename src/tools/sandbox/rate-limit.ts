import type { RequestHandler, Response } from 'express';
import { errorBody } from './api-error';
import type { Answers } from './answers';
import type { BucketReading, LeakyBucket } from './leaky-bucket';
import type { StatsRecorder } from './stats';

/**
 * The rate limit as Gorgias applies it (docs/gorgias.md, "Rate limits"). `showBucket` goes before auth,
 * because every answer carries the headers, even a 401; `admitRequest` goes after it, because only
 * authenticated requests count.
 */

export function showBucket(bucket: LeakyBucket | undefined): RequestHandler {
  return (_req, res, next) => {
    if (bucket) setBucketHeaders(res, bucket.peek());
    next();
  };
}

export function admitRequest(
  bucket: LeakyBucket | undefined,
  answers: Answers,
  stats: StatsRecorder,
): RequestHandler {
  return (_req, res, next) => {
    if (!bucket) {
      next();
      return;
    }
    const admission = bucket.tryAdmit();
    setBucketHeaders(res, admission);
    if (admission.admitted) {
      next();
      return;
    }
    stats.count('rateLimited');
    answers.send(res, 429, errorBody('Too many requests, retry later.'));
  };
}

function setBucketHeaders(res: Response, reading: BucketReading): void {
  res.set('X-Gorgias-Account-Api-Call-Limit', `${reading.used}/${reading.capacity}`);
  res.set('Retry-After', String(reading.retryAfterSeconds));
}

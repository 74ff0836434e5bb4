import { Router } from 'express';
import type { Answers } from './answers';
import { faultsPatchSchema } from './faults';
import { parseRequest } from './api-error';
import type { SandboxControls } from './app';

/** Sandbox-only endpoints under `/_sandbox`, for tests and tools running in other processes. */
export function controlRoutes(controls: SandboxControls, answers: Answers): Router {
  const router = Router();

  router.get('/stats', (_req, res) => {
    answers.send(res, 200, controls.stats());
  });

  router.put('/faults', (req, res) => {
    controls.setFaults(parseRequest(faultsPatchSchema, req.body, 'faults'));
    answers.send(res, 200, controls.faults());
  });

  router.post('/reset', (_req, res) => {
    controls.reset();
    answers.send(res, 200, { ok: true });
  });

  return router;
}

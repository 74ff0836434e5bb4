import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config';
import { workerTuning } from '../../src/worker';
import { problemsThrown } from '../support/problems';

const valid = {
  GORGIAS_BASE_URL: 'https://acme.gorgias.com',
  GORGIAS_USERNAME: 'bot@acme.com',
  GORGIAS_API_KEY: 'super-secret-api-key',
  WEBHOOK_SECRET: 'a-very-long-webhook-secret',
};

const problemsOf = (env: Record<string, string | undefined>) =>
  problemsThrown(() => loadConfig(env, ['temporal', 'webhook', 'gorgias', 'policy', 'logging']), ConfigError);

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid, ['temporal', 'webhook', 'gorgias']);
    expect(config.webhook.PORT).toBe(3000);
    expect(config.webhook.WEBHOOK_MAX_BODY_BYTES).toBe(10 * 1024 * 1024);
    expect(config.temporal).toMatchObject({
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'gorgias-autoreply',
      TEMPORAL_UI_URL: 'http://localhost:8233',
    });
    expect(config.gorgias).toMatchObject({
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: 20,
      GORGIAS_RATE_LIMIT_BURST: 40,
      GORGIAS_WORKERS_SHARING_ACCOUNT: 1,
    });
  });

  it('takes the account URL with or without the /api that Gorgias documents as the API base', () => {
    for (const given of [
      'https://acme.gorgias.com',
      'https://acme.gorgias.com/',
      'https://acme.gorgias.com/api',
      'https://acme.gorgias.com/api/',
    ]) {
      const config = loadConfig({ ...valid, GORGIAS_BASE_URL: given }, ['gorgias']);
      expect(config.gorgias.GORGIAS_BASE_URL).toBe('https://acme.gorgias.com');
    }
  });

  it('names every bad variable at once, with the reason', () => {
    const problems = problemsOf({ PORT: 'eighty', GORGIAS_BASE_URL: 'acme', WEBHOOK_SECRET: 'short' });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'PORT',
        'GORGIAS_BASE_URL',
        'GORGIAS_USERNAME',
        'GORGIAS_API_KEY',
        'WEBHOOK_SECRET',
      ]),
    );
    expect(problems.find((p) => p.startsWith('WEBHOOK_SECRET'))).toMatch(/at least 16 characters/);
    expect(problems.find((p) => p.startsWith('GORGIAS_USERNAME'))).toMatch(/required/);
  });

  it('never puts a secret value in its error message', () => {
    const secret = 'tiny-secret';
    const error = (() => {
      try {
        loadConfig({ ...valid, WEBHOOK_SECRET: secret, GORGIAS_API_KEY: '', TEMPORAL_TLS: secret }, [
          'webhook',
          'gorgias',
          'temporal',
        ]);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error?.message).toContain('WEBHOOK_SECRET');
    expect(error?.message).not.toContain(secret);
  });

  it('takes the webhook body limit in bytes and refuses a non-positive one', () => {
    const config = loadConfig({ ...valid, WEBHOOK_MAX_BODY_BYTES: '20971520' }, ['webhook']);
    expect(config.webhook.WEBHOOK_MAX_BODY_BYTES).toBe(20 * 1024 * 1024);
    for (const bad of ['0', '-1', '10mb', '1.5']) {
      expect(problemsOf({ ...valid, WEBHOOK_MAX_BODY_BYTES: bad })).toEqual([
        expect.stringMatching(/^WEBHOOK_MAX_BODY_BYTES: /),
      ]);
    }
  });

  it("sizes the worker's cache and workflow-task slots, and refuses fewer than two slots", () => {
    expect(workerTuning(loadConfig({}, ['worker']).worker)).toEqual({
      maxCachedWorkflows: 100,
      maxConcurrentWorkflowTaskExecutions: 10,
    });
    const env = { WORKER_MAX_CACHED_WORKFLOWS: '250', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40' };
    expect(workerTuning(loadConfig(env, ['worker']).worker)).toEqual({
      maxCachedWorkflows: 250,
      maxConcurrentWorkflowTaskExecutions: 40,
    });
    for (const slots of ['1', 'many']) {
      expect(() => loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: slots }, ['worker'])).toThrow(
        /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
      );
    }
  });

  it('only checks the sections a process needs', () => {
    // The webhook server needs no Gorgias credentials.
    expect(() => loadConfig({ WEBHOOK_SECRET: valid.WEBHOOK_SECRET }, ['temporal', 'webhook'])).not.toThrow();
  });

  it('requires both halves of an mTLS pair', () => {
    expect(problemsOf({ ...valid, TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem' })).toEqual([
      expect.stringMatching(/^TEMPORAL_TLS_CLIENT_KEY_PATH: is required/),
    ]);
  });
});

describe('Gorgias settings that would break at run time are refused at start', () => {
  const gorgiasProblems = (env: Record<string, string>) =>
    problemsThrown(() => loadConfig({ ...valid, ...env }, ['gorgias']), ConfigError);

  it.each([
    'http://acme.gorgias.com',
    'http://acme.gorgias.com/api/',
    'http://10.0.0.5:4010',
    'http://sandbox.internal.example:4010',
  ])('refuses %s: the API key would travel in clear', (url) => {
    const problems = gorgiasProblems({ GORGIAS_BASE_URL: url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^GORGIAS_BASE_URL: must start with https:\/\/ .* http:\/\/ is accepted only for/,
    );
    expect(problems[0]).not.toContain(new URL(url).hostname);
  });

  it.each([
    'https://acme.gorgias.com',
    'http://127.0.0.1:4010',
    'http://localhost:4010',
    'http://[::1]:4010',
    'http://gorgias-sandbox:4010',
  ])('accepts %s (https, or a sandbox on this machine or the compose network)', (url) => {
    expect(gorgiasProblems({ GORGIAS_BASE_URL: url })).toEqual([]);
  });

  it('refuses an HTTP timeout with which a send’s read and POST cannot fit in one activity attempt', () => {
    expect(gorgiasProblems({ GORGIAS_HTTP_TIMEOUT_MS: '14000' })).toEqual([]);
    expect(gorgiasProblems({ GORGIAS_HTTP_TIMEOUT_MS: '14001' })).toEqual([
      expect.stringMatching(/^GORGIAS_HTTP_TIMEOUT_MS: must be at most 14000: .*30 s/),
    ]);
    // At the attempt's own length every POST was refused and every ticket went stale; it is also the default wait.
    expect(gorgiasProblems({ GORGIAS_HTTP_TIMEOUT_MS: '30000' })).toEqual([
      expect.stringMatching(/^GORGIAS_HTTP_TIMEOUT_MS: must be at most 14000/),
      expect.stringMatching(/^GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: must be longer than GORGIAS_HTTP_TIMEOUT_MS/),
    ]);
  });

  it('refuses an unknown-outcome wait no longer than the HTTP timeout, naming both variables, never a value', () => {
    expect(
      gorgiasProblems({ GORGIAS_HTTP_TIMEOUT_MS: '2000', GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '3000' }),
    ).toEqual([]);
    const problems = gorgiasProblems({
      GORGIAS_HTTP_TIMEOUT_MS: '12345',
      GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '12345',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: must be longer than GORGIAS_HTTP_TIMEOUT_MS: /,
      ),
    ]);
    expect(problems.join('\n')).not.toContain('12345');
  });
});

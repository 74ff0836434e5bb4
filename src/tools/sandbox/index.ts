/**
 * The Gorgias sandbox: the part of the Gorgias REST API the service uses (same paths, auth and rate limit),
 * in memory, answering in the untidy shapes real Gorgias answers showed (see objects.ts): a Rule's internal
 * note on each new ticket, email integrations, customers' Shopify orders, messages sent asynchronously (and
 * failing for chosen recipients), and switchable faults, including commits the client never hears about.
 * Tests, benchmarks and the local stack point the service's GORGIAS_BASE_URL at it; nothing in the service
 * knows.
 */
export { createSandboxApp, type SandboxApp } from './app';
export type { SandboxControls } from './controls';
export type { SandboxFaults } from './faults';
export { DEFAULT_EMAIL_INTEGRATIONS, type EmailIntegrationSetting } from './integrations';
export { RATE_LIMITS, type SandboxOptions } from './options';
export type { ReplayFixtures } from './replay';
export { SAMPLE_RULES, type RuleSetting } from './rules';
export type { SendingPatch, SendingSettings } from './sending';
export { startSandbox, type RunningSandbox, type StartSandboxOptions } from './server';
export type { SandboxStats } from './stats';

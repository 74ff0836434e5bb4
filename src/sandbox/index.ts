/**
 * The Gorgias sandbox: the part of the Gorgias REST API the service uses (same paths, shapes, auth and rate
 * limit), in memory, with switchable faults. Tests, benchmarks and the local stack point the service's
 * GORGIAS_BASE_URL at it; nothing in the service knows.
 */
export { createSandboxApp, type SandboxApp, type SandboxControls } from './app';
export type { SandboxFaults } from './faults';
export type { SandboxOptions } from './options';
export { startSandbox, type RunningSandbox, type StartSandboxOptions } from './server';
export type { SandboxStats } from './stats';

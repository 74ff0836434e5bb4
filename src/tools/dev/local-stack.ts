import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What `npm start` tells `npm run demo` (another terminal) about the local stack it runs. It lives under
 * `.data/` (git-ignored), readable by the owner only, because it holds the local webhook token.
 */
export const DATA_DIR = '.data';
const STACK_FILE = join(DATA_DIR, 'local-stack.json');

const localStackSchema = z.object({
  webhookUrl: z.string(),
  webhookSecret: z.string(),
  temporalAddress: z.string(),
  namespace: z.string(),
  uiUrl: z.string(),
  sandbox: z.object({ url: z.string(), username: z.string(), apiKey: z.string() }).nullable(),
});
export type LocalStack = z.infer<typeof localStackSchema>;

export function writeLocalStack(stack: LocalStack): void {
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(STACK_FILE, JSON.stringify(stack, null, 2), { mode: 0o600 });
}

export function readLocalStack(): LocalStack {
  let text: string;
  try {
    text = readFileSync(STACK_FILE, 'utf8');
  } catch {
    throw new Error(
      `No local stack found (${STACK_FILE}): start it first with \`npm start\` in another terminal.`,
    );
  }
  return localStackSchema.parse(JSON.parse(text));
}

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ticketFacts } from '../src/reply/facts';
import { ticketSchema } from '../src/gorgias/schemas';
import { readOrderQuestion } from '../src/reply/orders/facts';
import { loadPolicy } from '../src/policy/load';

/**
 * `npm run bench:order-question`: what reading a customer's message for an order question costs on the
 * worker's thread (issue 24, item 10), by size and script: the shipped policy's keywords (every language),
 * text and HTML bodies. The work is bounded by SCANNED_TEXT_CHARS, so 2 MB should cost what 8,000 characters do.
 */

// Compiled to dist-bench/bench/: the policy is in the repository's policy/ folder.
const orders = loadPolicy(join(__dirname, '..', '..', 'policy', 'default.yaml')).orders;
const MB = 1024 * 1024;
const TEXTS: Record<string, string> = {
  ascii: 'Hello, I would like to know more about the linen shirt and the blue one. ',
  accented: 'Ça été très agréable, déjà vu ? Grüße aus München, señor, où êtes-vous ? ',
  cjk: '漢字とかなのテキスト、ハングル 한국어 텍스트 中文文本，没有关键词。',
};

/** The median time of one run, in ms (the machine may be shared: the median is what holds still). */
function timed(run: () => unknown, rounds: number): number {
  run(); // warm up
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? NaN;
}

function message(text: string, chars: number): string {
  return text.repeat(Math.ceil(chars / text.length)).slice(0, chars);
}

function ticketWithBody(field: 'stripped_text' | 'body_html', body: string) {
  return ticketSchema.parse({
    id: 1,
    subject: 'Hello',
    customer: { id: 2, email: 'c@example.org' },
    messages: [{ id: 3, channel: 'email', from_agent: false, subject: 'Hello', [field]: body }],
  });
}

const rows: string[] = [];
for (const [script, text] of Object.entries(TEXTS)) {
  for (const chars of [8_000, 1 * MB, 2 * MB]) {
    const body = message(text, chars);
    const plain = timed(() => readOrderQuestion({ subject: 'Hello', text: body, intents: [] }, orders), 41);
    const textTicket = ticketWithBody('stripped_text', body);
    const html = ticketWithBody('body_html', `<div>${body.replace(/\. /g, '.</div><div>')}</div>`);
    const viaText = timed(() => ticketFacts(textTicket, orders), 41);
    const viaHtml = timed(() => ticketFacts(html, orders), 41);
    rows.push(
      `${script.padEnd(9)} ${String(chars).padStart(8)} chars: readOrderQuestion ${plain.toFixed(2)} ms, ` +
        `ticketFacts (text) ${viaText.toFixed(2)} ms, (HTML) ${viaHtml.toFixed(2)} ms`,
    );
  }
}
// A megabyte of broken HTML (test/unit/orders.test.ts): a tag pattern that rescans from every "<" takes tens of
// seconds on it; one pass takes what a clean body of its size does.
const strays = 'a <3 b &amp c &#x '.repeat(60_000);
const broken = `${'<i></i>'.repeat(6_000)}<p>where is my order #1042?</p>${strays}<!-- ${'<b'.repeat(100_000)}`;
const brokenTicket = ticketWithBody('body_html', broken);
rows.push(
  `broken HTML ${String(broken.length).padStart(8)} chars: ticketFacts (HTML) ` +
    `${timed(() => ticketFacts(brokenTicket, orders), 11).toFixed(2)} ms`,
);
process.stdout.write(`${rows.join('\n')}\n`);

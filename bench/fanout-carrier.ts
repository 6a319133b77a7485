/**
 * The carrier side of `npm run bench:fanout`, in its own process so the carrier's CPU is not the
 * engine's event loop: the Twilio emulator (dev/carrier) plus a tiny control server.
 * Status callbacks go to a local stub (the web tier is not what this benchmark measures) and
 * start `BENCH_CALLBACK_DELAY_MS` (default 10 minutes) after each message: outside every timed
 * window of the run. With the former 30 s, the 10,000 callbacks of the adapter-only baseline
 * (each HMAC-signed and POSTed three times) landed inside a slow fan-out's window and the
 * emulator spent 31 s of CPU on them (one run, load 8: 73 s end to end).
 *
 * Prints one JSON line `{ "api": <TWILIO_API_URL>, "control": <url> }`; `GET /count` on the
 * control server answers `{ messages, recipients, maxPerRecipient }` (`?prefix=` counts only
 * recipients whose number starts with it).
 */
import http from 'node:http';
import { startCarrierEmulator } from '../dev/carrier/emulator.js';

const [accountSid, authToken, publicUrl] = process.argv.slice(2) as [string, string, string];
const callbackDelayMs = Number(process.env.BENCH_CALLBACK_DELAY_MS ?? 600_000);

const listen = (server: http.Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

const main = async () => {
  const stub = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>'));
  });
  const stubUrl = await listen(stub);
  const carrier = await startCarrierEmulator({ accountSid, authToken, gatewayUrl: stubUrl, publicUrl, callbackDelayMs });
  const control = http.createServer((req, res) => {
    const prefix = new URL(req.url ?? '/', 'http://x').searchParams.get('prefix') ?? '';
    const per = new Map<string, number>();
    for (const m of carrier.messages) if (m.direction === 'outbound-api' && m.to.startsWith(prefix)) per.set(m.to, (per.get(m.to) ?? 0) + 1);
    const body = { messages: [...per.values()].reduce((a, b) => a + b, 0), recipients: per.size, maxPerRecipient: Math.max(0, ...per.values()) };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const controlUrl = await listen(control);
  process.stdout.write(`${JSON.stringify({ api: carrier.url, control: controlUrl })}\n`);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
};

void main();

/**
 * The Twilio emulator (dev/carrier) in a process of its own, for `npm run bench:fanout` and
 * `npm run chaos`: the carrier's CPU is not the engine's event loop, and a scenario that kills
 * processes can never lose the carrier's count. Status callbacks go to a local stub (the web tier
 * is not what these measure; chaos scenario d sends its own) and start
 * `CARRIER_CALLBACK_DELAY_MS` after each message (default 1 hour: outside every timed window;
 * 10,000 signed callbacks inside a fan-out's window once cost the emulator 31 s of CPU).
 *
 * argv: accountSid authToken publicUrl. Prints one JSON line `{ "api", "control" }`.
 * Control server:
 * - `GET /count[?prefix=+1555][&detail]` -> `{ messages, recipients, maxPerRecipient, calls, perNumber? }`
 *   (outbound texts only; `prefix` counts recipients whose number starts with it)
 * - `GET /messages` -> the outbound texts (with `statusCallback` and `at`: when the carrier took
 *   the request, epoch ms); `POST /reset` forgets everything.
 */
import http from 'node:http';
import { startCarrierEmulator } from './emulator.js';

const [accountSid, authToken, publicUrl] = process.argv.slice(2) as [string, string, string];
const callbackDelayMs = Number(process.env.CARRIER_CALLBACK_DELAY_MS ?? 3_600_000);

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
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/reset') {
      carrier.messages.length = 0;
      carrier.calls.length = 0;
      carrier.requests.length = 0;
      return void res.writeHead(204).end();
    }
    if (url.pathname === '/messages') {
      const list = carrier.messages.filter((m) => m.direction === 'outbound-api').map((m) => ({
        sid: m.sid, to: m.to, from: m.from, body: m.body, statusCallback: m.statusCallback, at: m.dateCreated.getTime(),
      }));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
    }
    const prefix = url.searchParams.get('prefix') ?? '';
    const per: Record<string, number> = {};
    for (const m of carrier.messages) if (m.direction === 'outbound-api' && m.to.startsWith(prefix)) per[m.to] = (per[m.to] ?? 0) + 1;
    const counts = Object.values(per);
    const body = {
      messages: counts.reduce((a, b) => a + b, 0), recipients: counts.length, maxPerRecipient: Math.max(0, ...counts),
      calls: carrier.calls.length, perNumber: url.searchParams.has('detail') ? per : undefined,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const controlUrl = await listen(control);
  process.stdout.write(`${JSON.stringify({ api: carrier.url, control: controlUrl })}\n`);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
};

void main();

/**
 * The carrier for `npm run chaos`, in its own process so a scenario can never lose its count
 * when it kills something: the Twilio emulator (dev/carrier) plus a control server.
 * Status callbacks go to a local stub (scenario d sends its own, duplicated and out of order).
 *
 * argv: accountSid authToken publicUrl. Prints one JSON line `{ "api", "control" }`.
 * Control: `GET /count` -> `{ messages, recipients, maxPerRecipient, perNumber }`; `GET /messages`;
 * `POST /reset`.
 */
import http from 'node:http';
import { startCarrierEmulator } from '../dev/carrier/emulator.js';

const [accountSid, authToken, publicUrl] = process.argv.slice(2) as [string, string, string];

const listen = (server: http.Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));

const main = async () => {
  const stub = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>'));
  });
  const stubUrl = await listen(stub);
  const carrier = await startCarrierEmulator({ accountSid, authToken, gatewayUrl: stubUrl, publicUrl, callbackDelayMs: 3_600_000 });
  const control = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/reset') {
      carrier.messages.length = 0;
      carrier.calls.length = 0;
      carrier.requests.length = 0;
      return void res.writeHead(204).end();
    }
    if (req.url === '/messages') {
      const list = carrier.messages.filter((m) => m.direction === 'outbound-api').map((m) => ({ sid: m.sid, to: m.to, from: m.from, body: m.body }));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
    }
    const per: Record<string, number> = {};
    for (const m of carrier.messages) if (m.direction === 'outbound-api') per[m.to] = (per[m.to] ?? 0) + 1;
    const counts = Object.values(per);
    const body = {
      messages: counts.reduce((a, b) => a + b, 0), recipients: counts.length, maxPerRecipient: Math.max(0, ...counts),
      calls: carrier.calls.length, perNumber: req.url?.includes('detail') ? per : undefined,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const controlUrl = await listen(control);
  process.stdout.write(`${JSON.stringify({ api: carrier.url, control: controlUrl })}\n`);
  process.on('SIGTERM', () => process.exit(0));
};

void main();

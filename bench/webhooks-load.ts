/**
 * Load generator for bench/webhooks.ts, run as its own process so autocannon does not share
 * the server's event loop. Closed loop (each connection sends its next request when the last is
 * answered): the max-throughput phases. argv[2]: JSON `{ url, bodiesFile, connections, duration,
 * start? }`; takes pre-signed bodies from `start` on; prints autocannon's result as JSON on stdout,
 * with `used`: how many bodies it took, and `ok2xx` / `ok2xxPerSec`: the answers that were 2xx (a
 * 403 or 500 is answered fast and must not count as throughput). (Not for a fixed rate: autocannon's `overallRate` sends
 * each second's quota in a burst; bench/webhooks-rate.ts is the open-loop generator.)
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

type Args = { url: string; bodiesFile: string; connections: number; duration: number; start?: number };
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const bodies = JSON.parse(readFileSync(args.bodiesFile, 'utf8')) as Array<{ body: string; signature: string }>;
let i = args.start ?? 0;
const first = i;

const cpu0 = process.cpuUsage();
const result = await autocannon({
  url: args.url,
  method: 'POST',
  connections: args.connections,
  duration: args.duration,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  requests: [
    {
      setupRequest: (req) => {
        const b = bodies[i++ % bodies.length]!;
        return { ...req, body: b.body, headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': b.signature } };
      },
    },
  ],
});
process.stdout.write(JSON.stringify({
  requests: result.requests,
  latency: result.latency,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  total: result.requests.total,
  ok2xx: result['2xx'],
  ok2xxPerSec: Math.round(result['2xx'] / Math.max(0.001, result.duration)),
  duration: result.duration,
  used: i - first,
  // this generator's own CPU (ms) while it ran: it shares the machine's cores with the servers
  cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu0)),
}));

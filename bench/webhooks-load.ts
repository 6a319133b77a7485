/**
 * Load generator for bench/webhooks.ts, run as its own process so autocannon does not share
 * the server's event loop. argv[2]: JSON `{ url, bodiesFile, connections, duration, rate? }`;
 * cycles through pre-signed bodies; prints autocannon's result as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

type Args = { url: string; bodiesFile: string; connections: number; duration: number; rate?: number };
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const bodies = JSON.parse(readFileSync(args.bodiesFile, 'utf8')) as Array<{ body: string; signature: string }>;
let i = 0;

const result = await autocannon({
  url: args.url,
  method: 'POST',
  connections: args.connections,
  duration: args.duration,
  ...(args.rate ? { overallRate: args.rate } : {}),
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
  duration: result.duration,
}));

import type { FastifyPluginAsync } from 'fastify';

const RATE = 8000;
const SECONDS = 4;

/**
 * A short, gentle WAV (8 kHz, 16-bit mono): a few soft two-tone chimes standing in for the voice
 * message left from the softphone. The same for every recording id, so nothing is stored.
 */
export const simulatedVoicemailWav = (): Buffer => {
  const samples = RATE * SECONDS;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(RATE * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    const t = i / RATE;
    const within = t % 1; // one chime per second: 0.35 s of tone, then quiet
    const env = within < 0.35 ? Math.sin((Math.PI * within) / 0.35) : 0;
    const f = Math.floor(t) % 2 === 0 ? 523.25 : 659.25;
    buf.writeInt16LE(Math.round(env * 6000 * Math.sin(2 * Math.PI * f * t)), 44 + i * 2);
  }
  return buf;
};

/** `GET /softphone/recordings/:sid` — public like a carrier's recording URL, so messages can link it. */
export const softphoneAudioRoutes: FastifyPluginAsync = async (app) => {
  const wav = simulatedVoicemailWav();
  app.get<{ Params: { sid: string } }>('/softphone/recordings/:sid', { schema: { hide: true } }, async (req, reply) => {
    if (!/^RE[0-9a-f]{32}(\.wav)?$/.test(req.params.sid)) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=86400, immutable').type('audio/wav').send(wav);
  });
};

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';

/** `html`: the text/html part of a multipart/alternative message (null for plain text only). */
export type ReceivedMail = { from: string | null; to: string[]; subject: string; text: string; html: string | null; headers: Record<string, string>; at: string };

export type SmtpServerProcess = {
  /** `smtp://127.0.0.1:<port>` for SMTP_URL. */
  url: string;
  port: number;
  pid: number;
  /** Every message the server accepted so far, in order. */
  messages(): ReceivedMail[];
  /** Waits until at least `n` messages arrived (default timeout 10 s). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
};

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Spawns a real SMTP server (smtp-server package) as a child node process; accepted messages are
 * appended to a JSONL file that `messages()` reads. See ./smtp-server-process.ts.
 */
export const startSmtpServer = async (): Promise<SmtpServerProcess> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-smtp-'));
  const sink = path.join(dir, 'mail.jsonl');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'smtp-server-process.ts')], {
    env: { ...process.env, SMTP_SINK_FILE: sink },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('SMTP server did not start within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`SMTP server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const messages = (): ReceivedMail[] =>
    existsSync(sink) ? readFileSync(sink, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReceivedMail) : [];
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    messages,
    waitFor: (n, timeoutMs = 10_000) => eventually(() => {
      const m = messages();
      return m.length >= n && m;
    }, `${n} e-mails`, timeoutMs),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

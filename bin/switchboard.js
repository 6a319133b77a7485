#!/usr/bin/env node
// The `switchboard` CLI (`npx switchboard …` in the project folder, `npm run switchboard -- …`).
//
// Settings: the environment first. Keys it leaves unset or empty are taken from the quick start's
// local settings, `.data/switchboard.env` (written by `npm start` / `npm test`: the PostgreSQL,
// Redis, PUBLIC_URL and SMTP_URL it used) and `.data/secret-key`, so the README's commands work
// as written after `npm start`. SB_DATA names another data folder. With DATABASE_URL, REDIS_URL
// and SECRET_KEY all set (production, the Docker image), nothing is read from .data.
//
// Code: a source checkout with tsx installed runs src/ (always the code in front of you); an
// install without src/ (the Docker image) runs the compiled dist/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = process.env.SB_DATA || path.join(root, '.data');

const unset = (key) => process.env[key] === undefined || process.env[key] === '';
const envFile = path.join(dataDir, 'switchboard.env');
if (['DATABASE_URL', 'REDIS_URL', 'SECRET_KEY'].some(unset) && existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m && unset(m[1])) process.env[m[1]] = m[2].trim();
  }
  const secretFile = path.join(dataDir, 'secret-key');
  if (unset('SECRET_KEY') && existsSync(secretFile)) process.env.SECRET_KEY = readFileSync(secretFile, 'utf8').trim();
  // The quick start's Web Push key pair (.data/vapid.env), unless the environment has one.
  const vapidFile = path.join(dataDir, 'vapid.env');
  if (unset('VAPID_PUBLIC_KEY') && unset('VAPID_PRIVATE_KEY') && existsSync(vapidFile)) {
    for (const line of readFileSync(vapidFile, 'utf8').split('\n')) {
      const m = /^(VAPID_PUBLIC_KEY|VAPID_PRIVATE_KEY)=(.*)$/.exec(line.trim());
      if (m) process.env[m[1]] = m[2].trim();
    }
  }
}

const source = path.join(root, 'src', 'cli.ts');
let cli;
if (existsSync(source) && existsSync(path.join(root, 'node_modules', 'tsx'))) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(source).href);
} else {
  cli = await import(pathToFileURL(path.join(root, 'dist', 'src', 'cli.js')).href);
}
await cli.main(process.argv);

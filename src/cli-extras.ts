/**
 * Commands that features add to the CLI (demo seeding, `simulate call|sms`…).
 * Each registers itself here so src/cli.ts stays small.
 */
import type { Command } from 'commander';
import type { Config } from './config.js';

export const register = (_program: Command, _config: () => Config): void => {
  // features add: registerDemo(program, config); registerSimulate(program, config);
};

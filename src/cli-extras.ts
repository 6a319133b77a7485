/**
 * Commands that features add to the CLI (demo seeding, `simulate call|sms`…).
 * Each registers itself here so src/cli.ts stays small.
 */
import type { Command } from 'commander';
import type { Config } from './config.js';
import { registerDemo } from './demo/demo-command.js';
import { registerSimulate } from './cli-simulate.js';
import { registerUsers } from './users/users-command.js';

export const register = (program: Command, config: () => Config): void => {
  registerDemo(program, config);
  registerSimulate(program, config);
  registerUsers(program, config);
  // features add: registerDemo(program, config); registerSimulate(program, config);
};

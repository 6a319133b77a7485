/** Part 1 of the carrier webhook fuzzing (see webhook-fuzz.ts): routes whose sorted index is 0 modulo 2. */
import { defineWebhookFuzz } from './webhook-fuzz.js';

defineWebhookFuzz(0, 2);

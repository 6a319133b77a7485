/** Part 2 of the carrier webhook fuzzing (see webhook-fuzz.ts): routes whose sorted index is 1 modulo 2. */
import { defineWebhookFuzz } from './webhook-fuzz.js';

defineWebhookFuzz(1, 2);

/** Part 1 of the REST API body fuzzing (see api-fuzz.ts): families whose sorted index is 0 modulo 3. */
import { defineApiFuzz } from './api-fuzz.js';

defineApiFuzz(0, 3);

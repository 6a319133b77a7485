/** Part 2 of the REST API body fuzzing (see api-fuzz.ts): families whose sorted index is 1 modulo 3. */
import { defineApiFuzz } from './api-fuzz.js';

defineApiFuzz(1, 3);

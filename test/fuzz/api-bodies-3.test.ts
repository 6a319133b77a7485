/** Part 3 of the REST API body fuzzing (see api-fuzz.ts): families whose sorted index is 2 modulo 3. */
import { defineApiFuzz } from './api-fuzz.js';

defineApiFuzz(2, 3);

import type { SmsInterceptor } from '../telephony/inbound-port.js';
import type { PollsService } from './polls-service.js';

/**
 * Inbound SMS interceptor for poll answers: a reply that is only an option number answers the
 * latest open poll sent to that person in that account; the reply confirms it. Idempotent on
 * the carrier's message id. Register it after opt-out/HELP handling and before code matching.
 */
export const createPollSmsInterceptor = (polls: Pick<PollsService, 'answerBySms'>): SmsInterceptor => ({
  name: 'polls',
  intercept: (msg) => polls.answerBySms(msg),
});

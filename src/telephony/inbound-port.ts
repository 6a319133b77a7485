/**
 * Port: an inbound text, verified and stored, offered to features in order before code
 * matching: opt-out keywords and HELP (telephony), poll answers, sequence reply branches, rule
 * events… The first interceptor that returns a result handles the message; `reply` (if any) is
 * sent back to the sender. Interceptors must be idempotent on `providerId` (carrier retries).
 */
export type InboundSms = {
  accountId: string;
  lineId: string;
  providerId: string;
  from: string;
  to: string;
  body: string;
  contactId: string | null;
  messageId: string; // the stored inbound row in `messages`
  at: Date;
};

export type InterceptResult = { handled: true; reply?: string | null };

export type SmsInterceptor = {
  name: string;
  intercept(msg: InboundSms): Promise<InterceptResult | null>;
};

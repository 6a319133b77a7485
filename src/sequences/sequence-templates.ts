import type { SequenceInput } from './sequence-types.js';

/**
 * Ready-made sequences, to use as they are or copy and edit. Each is a valid `SequenceInput`
 * (checked by test/unit/sequence-definition.test.ts). `[[placeholders]]` are supplied at
 * enrollment; `{{first_name}}` and custom fields come from the contact.
 */
export type SequenceTemplate = { key: string; name: string; description: string; placeholders: string[]; definition: SequenceInput };

const lead: SequenceTemplate = {
  key: 'new-lead-follow-up',
  name: 'New Lead Follow-Up',
  description: 'Confirmation SMS at once, an e-mail on day 1, a check-in call on day 3 and a re-engagement text on day 7 unless they answered the call.',
  placeholders: ['company'],
  definition: {
    name: 'New Lead Follow-Up',
    description: 'Confirmation SMS -> day 1 e-mail -> day 3 check-in call -> day 7 re-engage',
    allowReenrollment: false,
    steps: [
      { id: 'confirm', type: 'send', name: 'Confirmation SMS', send: { channel: 'sms', message: 'Hi {{first_name}}, thanks for contacting [[company]]! We received your request and will be in touch shortly. Reply here any time.' } },
      { id: 'wait-day-1', type: 'delay', delay: { amount: 1, unit: 'days' } },
      { id: 'day-1-email', type: 'send', name: 'Day 1 e-mail', send: { channel: 'email', subject: 'Following up on your request to [[company]]', message: 'Hi {{first_name}},\n\nThanks again for reaching out to [[company]]. Just reply to this e-mail or text us with a good time to talk and we will take it from there.\n\n[[company]]' } },
      { id: 'wait-day-3', type: 'delay', delay: { amount: 2, unit: 'days' } },
      { id: 'day-3-call', type: 'send', name: 'Day 3 check-in call', send: { channel: 'voice', message: 'Hello {{first_name}}, this is [[company]] checking in on your request. Press 1 if you would like us to call you back.' } },
      { id: 'answered-call', type: 'branch', name: 'Pressed a key by day 7?', branch: { condition: { type: 'key_pressed' }, since: 'day-3-call', within: { amount: 4, unit: 'days' }, then: 'end', else: 'next' } },
      { id: 'day-7-reengage', type: 'send', name: 'Day 7 re-engage', send: { channel: 'sms', message: 'Hi {{first_name}}, still looking for help? [[company]] has openings this week. Reply YES and we will call you.' } },
    ],
    exits: [{ type: 'event', eventType: 'job.booked' }, { type: 'opted_out' }],
  },
};

const review: SequenceTemplate = {
  key: 'post-job-review-request',
  name: 'Post-Job Review Request',
  description: 'Review request by SMS 24 h after the job, an e-mail fallback at 72 h if they did not reply, and a final ask on day 7.',
  placeholders: ['company', 'review_link'],
  definition: {
    name: 'Post-Job Review Request',
    description: '24 h SMS with review link -> 72 h e-mail fallback -> 7-day final ask',
    allowReenrollment: true,
    steps: [
      { id: 'wait-24h', type: 'delay', delay: { amount: 24, unit: 'hours' } },
      { id: 'review-sms', type: 'send', name: '24 h review request', send: { channel: 'sms', message: 'Hi {{first_name}}, thanks for choosing [[company]]! Would you take a minute to review us? [[review_link]]' } },
      { id: 'replied', type: 'branch', name: 'Replied within 48 h?', branch: { condition: { type: 'replied' }, since: 'review-sms', within: { amount: 48, unit: 'hours' }, then: 'end', else: 'next' } },
      { id: 'review-email', type: 'send', name: '72 h e-mail fallback', send: { channel: 'email', subject: 'How did we do, {{first_name}}?', message: 'Hi {{first_name}},\n\nYour feedback helps [[company]] and our neighbours. Leave a review here: [[review_link]]\n\nThank you!' } },
      { id: 'wait-day-7', type: 'delay', delay: { amount: 4, unit: 'days' } },
      { id: 'final-ask', type: 'send', name: '7-day final ask', send: { channel: 'sms', message: 'Last ask from [[company]], {{first_name}}: a quick review would mean a lot. [[review_link]]' } },
    ],
    exits: [{ type: 'event', eventType: 'review.left' }, { type: 'opted_out' }],
  },
};

const reminder: SequenceTemplate = {
  key: 'recurring-service-reminder',
  name: 'Recurring Service Reminder',
  description: 'Enroll 30 days before the service: notice, confirmation at 14 days, reminder at 2 days, alert on the day.',
  placeholders: ['company', 'service_name', 'service_date'],
  definition: {
    name: 'Recurring Service Reminder',
    description: '30-day notice -> 14-day confirmation -> 2-day reminder -> day-of alert',
    allowReenrollment: true,
    steps: [
      { id: 'notice-30d', type: 'send', name: '30-day notice', send: { channel: 'sms', message: 'Hi {{first_name}}, your [[service_name]] with [[company]] is due on [[service_date]]. We will confirm closer to the date.' } },
      { id: 'wait-to-14d', type: 'delay', delay: { amount: 16, unit: 'days' } },
      { id: 'confirm-14d', type: 'send', name: '14-day confirmation', send: { channel: 'sms', message: '[[company]]: reply YES to confirm your [[service_name]] on [[service_date]], or call us to reschedule.' } },
      { id: 'wait-to-2d', type: 'delay', delay: { amount: 12, unit: 'days' } },
      { id: 'reminder-2d', type: 'send', name: '2-day reminder', send: { channel: 'sms', message: 'Reminder: [[company]] will be there for your [[service_name]] on [[service_date]].' } },
      { id: 'wait-to-day', type: 'delay', delay: { amount: 2, unit: 'days' } },
      { id: 'day-of', type: 'send', name: 'Day-of alert', send: { channel: 'sms', message: 'Today is the day! [[company]] is on the way for your [[service_name]].' } },
    ],
    exits: [{ type: 'event', eventType: 'service.cancelled' }, { type: 'opted_out' }],
  },
};

const payment: SequenceTemplate = {
  key: 'payment-overdue-escalation',
  name: 'Payment Overdue Escalation',
  description: 'Enroll when an invoice becomes overdue: friendly on day 1, firm on day 7, final on day 14, collections flag on day 30. Ends when invoice.paid arrives.',
  placeholders: ['company', 'invoice_number', 'amount_due', 'pay_link'],
  definition: {
    name: 'Payment Overdue Escalation',
    description: 'Day 1 friendly -> day 7 firm -> day 14 final -> day 30 collections flag',
    allowReenrollment: true,
    steps: [
      { id: 'day-1-friendly', type: 'send', name: 'Day 1 friendly', send: { channel: 'sms', message: 'Hi {{first_name}}, a friendly reminder from [[company]]: invoice [[invoice_number]] ([[amount_due]]) is past due. Pay here: [[pay_link]]' } },
      { id: 'wait-day-7', type: 'delay', delay: { amount: 6, unit: 'days' } },
      { id: 'day-7-firm', type: 'send', name: 'Day 7 firm', send: { channel: 'email', subject: 'Invoice [[invoice_number]] is 7 days overdue', message: 'Hello {{first_name}},\n\nInvoice [[invoice_number]] for [[amount_due]] is now 7 days overdue. Please pay today: [[pay_link]]\n\n[[company]]' } },
      { id: 'wait-day-14', type: 'delay', delay: { amount: 7, unit: 'days' } },
      { id: 'day-14-final', type: 'send', name: 'Day 14 final notice', send: { channel: 'sms', message: 'FINAL NOTICE from [[company]]: invoice [[invoice_number]] ([[amount_due]]) is 14 days overdue. Pay now to avoid collections: [[pay_link]]' } },
      { id: 'wait-day-30', type: 'delay', delay: { amount: 16, unit: 'days' } },
      { id: 'day-30-collections', type: 'update_contact', name: 'Day 30 collections flag', update: { status: 'collections', fields: { collections: true } } },
    ],
    exits: [{ type: 'event', eventType: 'invoice.paid' }, { type: 'opted_out' }],
  },
};

export const sequenceTemplates: readonly SequenceTemplate[] = [lead, review, reminder, payment];

export const findTemplate = (key: string): SequenceTemplate | undefined => sequenceTemplates.find((t) => t.key === key);

import type { ChannelResult, ChannelSender, DeliveryJob } from '../engine/channel-port.js';
import type { EmailTrackingService } from './email-tracking-service.js';

/**
 * Wraps the e-mail channel sender: when the account tracks opens or clicks, the job handed on
 * carries `payload.html` (its text as HTML, with the pixel and/or tracked links); otherwise the
 * job goes on unchanged and the e-mail stays plain text. The stored payload is never changed.
 * Same retry contract as the wrapped sender; a failure to read the settings is transient.
 */
export const withEmailTracking = <S extends ChannelSender>(inner: S, tracking: Pick<EmailTrackingService, 'htmlFor'>): S => {
  const send = async (job: DeliveryJob): Promise<ChannelResult> => {
    const html = job.channel === 'email' ? await tracking.htmlFor(job) : null;
    return inner.send(html ? { ...job, payload: { ...job.payload, html } } : job);
  };
  return { ...inner, send };
};

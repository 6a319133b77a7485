/**
 * The HTML part of a tracked e-mail, built from its plain text (Switchboard e-mails are written
 * as text): HTML-escaped, line breaks kept, http(s) links made clickable — pointed at the
 * click-tracking URL when `clickUrl` is given — and, when `pixelUrl` is given, a 1×1 image at
 * the end. Pure: no I/O.
 */
export type EmailHtmlOptions = {
  pixelUrl: string | null;
  /** The tracked href for one original link; null keeps links as they are. */
  clickUrl: ((url: string) => string) | null;
};

const URL_RE = /https?:\/\/[^\s<>"']+/g;
// Punctuation that ends a sentence, not the link ("see https://x.test/a.").
const TRAILING = /[.,;:!?)\]}]+$/;

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const paragraph = (text: string, clickUrl: EmailHtmlOptions['clickUrl']): string => {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = TRAILING.exec(url)?.[0] ?? '';
    url = url.slice(0, url.length - trail.length);
    if (!url.replace(/^https?:\/\//, '')) continue;
    out += escapeHtml(text.slice(last, m.index));
    const href = clickUrl ? clickUrl(url) : url;
    out += `<a href="${escapeHtml(href)}">${escapeHtml(url)}</a>`;
    last = m.index! + url.length;
  }
  out += escapeHtml(text.slice(last));
  return out.replace(/\r?\n/g, '<br>\n');
};

export const emailHtml = (text: string, opts: EmailHtmlOptions): string => {
  const body = paragraph(text, opts.clickUrl);
  const pixel = opts.pixelUrl
    ? `<img src="${escapeHtml(opts.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`
    : '';
  return '<!doctype html>\n<html><head><meta charset="utf-8"></head>'
    + `<body><div style="font-family:sans-serif;font-size:15px;line-height:1.4">${body}</div>${pixel}</body></html>\n`;
};

// Schedules in words, and [[placeholder]] handling that matches the server's templates.

const DAY = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function scheduleSummary(s) {
  if (!s) return 'none';
  const tz = s.timezone ? ` (${s.timezone})` : '';
  if (s.type === 'weekly') {
    const every = s.everyWeeks && s.everyWeeks > 1 ? `every ${s.everyWeeks} weeks on ` : '';
    return `${every}${(s.days ?? []).map((d) => DAY[d] ?? d).join(', ')} at ${s.time}${tz}`;
  }
  if (s.type === 'monthly') {
    const months = !s.months || s.months.length === 12 ? 'every month' : s.months.map((m) => MONTH[m - 1]).join(', ');
    const when = s.dates ? `on ${s.dates.join(', ')}` : s.weekday ? `on the ${s.weekday.ordinal} ${DAY[s.weekday.day] ?? s.weekday.day}` : '';
    return `${months} ${when} at ${s.time}${tz}`;
  }
  return s.type;
}

/**
 * An instant as a reader says it in the schedule's zone: "Mon 7 Dec 2026, 09:00 (Europe/London)".
 * English names (the dashboard is in English) in a fixed order, 24-hour clock, zone named.
 */
export function formatInZone(instant, timeZone) {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return String(instant);
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(d);
  } catch {
    return d.toLocaleString();
  }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} (${timeZone})`;
}

const PLACEHOLDER = /\[\[\s*([A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}?)\s*\]\]/g;

export function fillPlaceholders(text, values) {
  return String(text ?? '').replace(PLACEHOLDER, (whole, name) => (values[name] ? values[name] : whole));
}

export function placeholdersIn(text) {
  return [...String(text ?? '').matchAll(PLACEHOLDER)].map((m) => m[1]);
}

// Dates as the map page's timeline and summary use them: bins by month or
// year, their first and last days, and a time range in words ("Jan – Jun
// 2021"). Pure functions on YYYY-MM-DD strings; no DOM.

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// monthIndex: months since year 0 of a YYYY-MM-DD date.
export function monthIndex(d) {
  return Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7)) - 1;
}

// The first day of bin i (a year, or a month index).
export function dateOfStart(unit, i) {
  if (unit === 'year') return `${i}-01-01`;
  const y = Math.floor(i / 12);
  const m = (i % 12) + 1;
  return `${y}-${String(m).padStart(2, '0')}-01`;
}

// The last day of bin i.
export function dateOfEnd(unit, i) {
  if (unit === 'year') return `${i}-12-31`;
  const y = Math.floor(i / 12);
  const m = i % 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return `${y}-${String(m + 1).padStart(2, '0')}-${String(last).padStart(2, '0')}`;
}

// The bin of a date.
export function indexOf(unit, d) {
  return unit === 'year' ? Number(d.slice(0, 4)) : monthIndex(d);
}

export function fmtDay(d) {
  const [y, m, day] = d.split('-').map(Number);
  return `${day} ${MONTHS[m - 1]} ${y}`;
}

// "2021", "Jan – Jun 2021", "Mar 2021 – Feb 2022", "26 Aug 2021 – 31 Dec 2021".
export function rangeText(t) {
  if (!t) return 'All time';
  const { start, end } = t;
  if (!start) return `Until ${fmtDay(end)}`;
  if (!end) return `From ${fmtDay(start)}`;
  const monthAligned = start.endsWith('-01') && end === dateOfEnd('month', monthIndex(end));
  if (!monthAligned) return start === end ? fmtDay(start) : `${fmtDay(start)} – ${fmtDay(end)}`;
  const [ys, ms] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))];
  const [ye, me] = [Number(end.slice(0, 4)), Number(end.slice(5, 7))];
  if (ms === 1 && me === 12) return ys === ye ? String(ys) : `${ys}–${ye}`;
  if (ys === ye) return ms === me ? `${MONTHS[ms - 1]} ${ys}` : `${MONTHS[ms - 1]} – ${MONTHS[me - 1]} ${ys}`;
  return `${MONTHS[ms - 1]} ${ys} – ${MONTHS[me - 1]} ${ye}`;
}

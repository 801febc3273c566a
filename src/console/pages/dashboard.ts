/** The dashboard: today's arrivals and departures, bookings and revenue by day (an SVG chart), backlogs. */

import { Type } from 'typebox';
import { type DashboardStats, dashboardStats } from '../../flows/dashboard.js';
import type { RoostApp } from '../../platform/http.js';
import { adminRoute, type ConsoleDeps, query, sendPage } from '../http.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Bars: bookings per day; line: revenue per day (its own scale). Numbers only, built here. */
export function dayChart(days: DashboardStats['byDay']): string {
  const w = 720;
  const h = 200;
  const pad = 24;
  const n = Math.max(days.length, 1);
  const slot = (w - 2 * pad) / n;
  const maxB = Math.max(1, ...days.map((d) => d.bookings));
  const maxR = Math.max(1, ...days.map((d) => d.revenue));
  const y = (v: number, max: number) => h - pad - (v / max) * (h - 2 * pad);
  const bars = days
    .map((d, i) => {
      const x = pad + i * slot + slot * 0.15;
      const top = y(d.bookings, maxB);
      return `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(h - pad - top).toFixed(1)}"><title>${esc(d.date)}: ${d.bookings} bookings</title></rect>`;
    })
    .join('');
  const points = days
    .map((d, i) => `${(pad + i * slot + slot / 2).toFixed(1)},${y(d.revenue, maxR).toFixed(1)}`)
    .join(' ');
  const labels = days
    .map((d, i) =>
      i % Math.ceil(n / 7) === 0
        ? `<text x="${(pad + i * slot).toFixed(1)}" y="${h - 6}">${esc(d.date.slice(5))}</text>`
        : '',
    )
    .join('');
  return `<svg class="chart" data-testid="dashboard-chart" role="img" aria-label="Bookings (bars) and revenue (line) per day" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">${bars}${days.length > 1 ? `<polyline class="line" points="${points}"/>` : ''}${labels}<text x="${pad}" y="14">max ${maxB} bookings/day</text></svg>`;
}

export function dashboardPages(app: RoostApp, { ctx, queue }: ConsoleDeps) {
  app.get(
    '/',
    adminRoute({ querystring: query({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 })) }) }),
    async (req, reply) => {
      // The queue (Redis) failing must not take the dashboard down with it: the card says n/a.
      const failedJobs = queue
        ? await queue.counts().then(
            (c) => c.failed,
            () => null,
          )
        : null;
      const stats = await dashboardStats(ctx, req.actor!, { days: req.query.days ?? 14, failedJobs });
      return sendPage(
        req,
        reply,
        'dashboard',
        { stats, chart: dayChart(stats.byDay), queue: Boolean(queue) },
        {
          title: 'Dashboard',
          section: 'Dashboard',
        },
      );
    },
  );
}

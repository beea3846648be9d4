import type { StackResult } from './run.js';

interface Report {
  date: string;
  machine: { cpus: number; cpu: string; node: string };
  results: Record<string, StackResult>;
}

const COLORS: Record<string, string> = { 'baseline-sqlite': '#b7c9ee', 'hookyard-sqlite': '#2f6fde', 'hookyard-sqlite-main-thread': '#93b3ee', 'hookyard-postgres': '#6b9af0', reference: '#d9822b', limit: '#8a8a8a' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** One panel of horizontal bars, one per stack, scaled to the panel's largest value. */
function panel(title: string, unit: string, values: Array<[string, number | undefined]>): string {
  const y = 0;
  const shown = values.filter((entry): entry is [string, number] => entry[1] !== undefined && Number.isFinite(entry[1]));
  const max = Math.max(1, ...shown.map(([, value]) => value));
  const rows = shown.map(([stack, value], index) => {
    const top = y + 28 + index * 26;
    const width = Math.max(2, (value / max) * 440);
    return [
      `<text x="20" y="${top + 15}" font-size="13">${escape(stack)}</text>`,
      `<rect x="170" y="${top}" width="${width.toFixed(1)}" height="20" fill="${COLORS[stack] ?? '#555'}" rx="3"/>`,
      `<text x="${(176 + width).toFixed(1)}" y="${top + 15}" font-size="13">${value.toLocaleString('en-US')} ${escape(unit)}</text>`,
    ].join('');
  });
  return `<text x="20" y="${y + 16}" font-size="15" font-weight="bold">${escape(title)}</text>${rows.join('')}`;
}

/** The results as an SVG chart for docs/benchmarks.md, generated from the JSON (never drawn by hand). */
export function renderChart(report: Report): string {
  const stacks = Object.entries(report.results);
  const panels = [
    panel('End-to-end throughput (20 000 × 1 KiB, 64 clients)', 'msg/s', stacks.map(([name, r]) => [name, r.throughput?.endToEndPerSecond])),
    panel('Fan-out to 10 endpoints', 'deliveries/s', stacks.map(([name, r]) => [name, r.fanout?.deliveriesPerSecond])),
    panel('Publish ack p99 at 500 msg/s (lower is better)', 'ms', stacks.map(([name, r]) => [name, r.latency?.ackP99Ms])),
    panel('Publish → receipt p99 at 500 msg/s (lower is better)', 'ms', stacks.map(([name, r]) => [name, r.latency?.receiptP99Ms])),
  ];
  const panelHeight = 40 + stacks.length * 26;
  const height = 50 + panels.length * panelHeight;
  const body = panels.map((content, index) => `<g transform="translate(0 ${40 + index * panelHeight})">${content}</g>`).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" viewBox="0 0 760 ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="26" font-size="13" fill="#555">${escape(`${report.date.slice(0, 10)} · ${report.machine.cpus} × ${report.machine.cpu} · Node ${report.machine.node}`)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

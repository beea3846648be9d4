import { useId } from 'react';

export interface Series {
  name: string;
  /** A CSS class giving the series its colour (`s-ok`, `s-bad`, `s-wait`, `s-line`). */
  tone: string;
  /** One value per time; null where nothing is known. */
  values: (number | null)[];
}

const WIDTH = 480;
const HEIGHT = 200;
const LEFT = 56;
const RIGHT = 12;
const TOP = 10;
const BOTTOM = 26;

/** A round maximum for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function clock(time: number, spanMs: number): string {
  const date = new Date(time);
  return spanMs > 86_400_000 * 1.5 ? date.toLocaleDateString([], { month: 'short', day: 'numeric' }) : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * A chart over time drawn as SVG: stacked bars (counts per window) or lines (rates, latencies, samples). It is an
 * image to assistive technology, with a summary of the latest values as its description.
 */
export function TimeChart({
  title,
  times,
  series,
  kind,
  format,
  fixedMax,
}: {
  title: string;
  times: number[];
  series: Series[];
  kind: 'stacked' | 'line';
  format: (value: number) => string;
  fixedMax?: number;
}) {
  const titleId = useId();
  const descId = useId();
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const totals = times.map((_, index) =>
    kind === 'stacked' ? series.reduce((sum, one) => sum + (one.values[index] ?? 0), 0) : Math.max(0, ...series.map((one) => one.values[index] ?? 0)),
  );
  const max = fixedMax ?? niceMax(Math.max(0, ...totals));
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  const slot = plotWidth / Math.max(1, times.length);
  const x = (index: number) => LEFT + slot * index + slot / 2;
  const span = times.length > 1 ? times[times.length - 1]! - times[0]! : 0;
  const latest = series.map((one) => {
    const known = one.values.filter((value): value is number => value !== null);
    return `${one.name}: ${known.length > 0 ? format(known[known.length - 1]!) : 'no data'}`;
  });

  return (
    <figure className="chart">
      <figcaption id={titleId}>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} aria-describedby={descId}>
        <desc id={descId}>{`Latest window. ${latest.join('. ')}.`}</desc>
        {[0, 0.25, 0.5, 0.75, 1].map((share) => (
          <g key={share} className="grid">
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(max * share)} y2={y(max * share)} />
            <text x={LEFT - 6} y={y(max * share) + 4} textAnchor="end">
              {format(max * share)}
            </text>
          </g>
        ))}
        {times.length > 0 &&
          [...new Set([0, Math.floor((times.length - 1) / 2), times.length - 1])].map((index, position, shown) => (
            <text key={index} className="axis" x={x(index)} y={HEIGHT - 8} textAnchor={position === 0 ? 'start' : position === shown.length - 1 ? 'end' : 'middle'}>
              {clock(times[index]!, span)}
            </text>
          ))}
        {kind === 'stacked'
          ? times.map((time, index) => {
              let base = 0;
              return (
                <g key={time}>
                  {series.map((one) => {
                    const value = one.values[index] ?? 0;
                    if (value <= 0) return null;
                    const top = y(base + value);
                    const bar = <rect key={one.name} className={one.tone} x={x(index) - slot * 0.35} width={slot * 0.7} y={top} height={y(base) - top} />;
                    base += value;
                    return bar;
                  })}
                </g>
              );
            })
          : series.map((one) => (
              <g key={one.name} className={one.tone}>
                <polyline
                  fill="none"
                  points={one.values
                    .map((value, index) => (value === null ? null : `${x(index)},${y(Math.min(value, max))}`))
                    .filter(Boolean)
                    .join(' ')}
                />
                {one.values.map((value, index) => (value === null ? null : <circle key={index} cx={x(index)} cy={y(Math.min(value, max))} r={2.5} />))}
              </g>
            ))}
      </svg>
      <ul className="legend">
        {series.map((one) => (
          <li key={one.name}>
            <span className={`swatch ${one.tone}`} aria-hidden="true" />
            {one.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

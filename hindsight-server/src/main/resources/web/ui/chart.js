// Charts: small inline SVG sparklines, and uPlot (served from its WebJar) for time series.
import uPlot from '/ui/vendor/uplot.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

/** A sparkline of numbers, labelled for screen readers with its last value. */
export function sparkline(values, label) {
  const w = 120, hgt = 28;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('width', w);
  svg.setAttribute('height', hgt);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const nums = values.map(Number).filter(Number.isFinite);
  if (nums.length > 1) {
    const min = Math.min(...nums), max = Math.max(...nums), span = max - min || 1;
    const pts = nums.map((v, i) => `${(i / (nums.length - 1) * (w - 2) + 1).toFixed(1)},${(hgt - 2 - (v - min) / span * (hgt - 4)).toFixed(1)}`);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('class', 'spark');
    svg.append(line);
  }
  return svg;
}

/**
 * A time-series chart: series = [{label, points: [{t: seconds, v}]}], marks = [{t, label}] drawn as
 * vertical lines (deploys, alerts). Dragging across it zooms; onZoom(fromSeconds, toSeconds).
 */
export function timeChart(container, series, marks, onZoom) {
  const times = [...new Set(series.flatMap(s => s.points.map(p => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const data = [times];
  for (const s of series) {
    const ys = new Array(times.length).fill(null);
    for (const p of s.points) ys[index.get(p.t)] = p.v;
    data.push(ys);
  }
  const opts = {
    width: Math.max(320, container.clientWidth - 8),
    height: 320,
    scales: {x: {time: true}},
    series: [{label: 'time (UTC)'}, ...series.map((s, i) => ({label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false}))],
    axes: [{}, {size: 60}],
    tzDate: ts => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    hooks: {
      draw: [u => {
        const ctx = u.ctx;
        ctx.save();
        for (const m of marks) {
          const x = u.valToPos(m.t, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = m.kind === 'alert' ? '#dc2626' : '#6b7280';
          ctx.setLineDash([4, 4]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillStyle = ctx.strokeStyle;
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          ctx.fillText(m.label.slice(0, 30), x + 4, u.bbox.top + 12 * devicePixelRatio);
        }
        ctx.restore();
      }],
      setSelect: [u => {
        if (u.select.width > 5 && onZoom) {
          onZoom(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
        }
      }],
    },
    cursor: {drag: {x: true, y: false, setScale: false}},
  };
  container.replaceChildren();
  return new uPlot(opts, data, container);
}

export interface Series {
  name: string;
  color: string;
  /** [x, y] points; a non-finite y breaks the line. */
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines, e.g. a latency target. */
  guides?: { y: number; label: string; color: string }[];
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const NICE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) that is at least `v`. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of NICE) if (m * p >= v - 1e-9 * p) return m * p;
  return 10 * p;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** A self-contained SVG line chart (axes, ticks, legend, guides); no dependency, no script. */
export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 820;
  const height = o.height ?? 360;
  const m = { left: 64, right: 20, top: 40, bottom: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [
    ...o.series.flatMap((s) => s.points.map((p) => p[1]).filter(Number.isFinite)),
    ...(o.guides ?? []).map((g) => g.y),
  ];
  const xMax = niceCeil(Math.max(1, ...xs));
  const yMax = niceCeil(Math.max(1, ...ys) * 1.05);
  const X = (x: number) => r1(m.left + (x / xMax) * w);
  const Y = (y: number) => r1(m.top + h - (Math.min(y, yMax) / yMax) * h);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax / 5) * i;
    out.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${Y(y)}" y2="${Y(y)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${Y(y) + 4}" text-anchor="end">${+y.toFixed(2)}</text>`,
    );
  }
  for (let i = 0; i <= 10; i++) {
    const x = (xMax / 10) * i;
    out.push(`<text x="${X(x)}" y="${m.top + h + 16}" text-anchor="middle">${+x.toFixed(1)}</text>`);
  }
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  for (const g of o.guides ?? []) {
    out.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${Y(g.y)}" y2="${Y(g.y)}" stroke="${g.color}" stroke-dasharray="6 4"/>`,
      `<text x="${m.left + w - 4}" y="${Y(g.y) - 4}" text-anchor="end" fill="${g.color}">${esc(g.label)}</text>`,
    );
  }
  for (const s of o.series) {
    let d = "";
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${X(x)} ${Y(y)} `;
      pen = true;
    }
    if (d) out.push(`<path d="${d.trim()}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
  }
  o.series.forEach((s, i) => {
    const lx = m.left + 10 + i * 110;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${m.top - 8}" y2="${m.top - 8}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${lx + 22}" y="${m.top - 4}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

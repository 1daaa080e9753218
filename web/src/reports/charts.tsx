// Stat tiles and a small SVG bar chart for the period summary (the trend charts use Chart.js: TrendCharts.tsx).
export function Stat({ label, value, tone }: { label: string; value: number | string; tone?: string }) {
  return <div className={`stat ${tone ?? ''}`}><div className="stat-value">{value}</div><div className="stat-label">{label}</div></div>;
}

export function BarChart({ rows }: { rows: [string, number, string][] }) {
  const max = Math.max(1, ...rows.map(r => r[1]));
  const h = 160, bw = 56, gap = 32;
  return (
    <svg className="chart" viewBox={`0 0 ${rows.length * (bw + gap) + gap} ${h + 60}`} role="img" aria-label={rows.map(r => `${r[0]} ${r[1]}`).join(', ')}>
      {rows.map(([label, v, c], i) => {
        const bh = (v / max) * h;
        const x = gap + i * (bw + gap);
        return (
          <g key={label}>
            <rect className={`svg-${c}`} x={x} y={h - bh + 24} width={bw} height={Math.max(bh, 1)} rx={4} />
            <text x={x + bw / 2} y={h - bh + 18} textAnchor="middle" className="svg-val">{v}</text>
            <text x={x + bw / 2} y={h + 48} textAnchor="middle" className="svg-label">{label}</text>
          </g>
        );
      })}
    </svg>
  );
}

import { useEffect, useId, useRef, useState } from 'react';
import type { ChartData } from './analyticsData';

/** Okabe–Ito: told apart with every common colour-vision deficiency. */
const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];

type UPlotClass = typeof import('uplot');
let uplotClass: Promise<UPlotClass> | null = null;

/** uPlot and its stylesheet, fetched the first time a chart is drawn (never by the public page). */
function loadUPlot(): Promise<UPlotClass> {
  uplotClass ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => ((m as { default?: UPlotClass }).default ?? m) as UPlotClass);
  return uplotClass;
}

function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/**
 * One chart with its text alternative: a figure whose caption names it, a uPlot line chart (legend
 * included), and a "Show table" toggle that swaps the canvas for a data table. The canvas is
 * `aria-hidden`; the summary under it and the table carry the figures for assistive technology.
 */
export function ActivityChart({ chart, labels, times }: { chart: ChartData; labels: string[]; times: number[] }) {
  const [asTable, setAsTable] = useState(false);
  const [failed, setFailed] = useState(false);
  const host = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const hasData = chart.series.some((s) => s.values.some((v) => v !== null && v !== 0));
  const showTable = asTable || failed;

  useEffect(() => {
    if (showTable || !host.current) return;
    const el = host.current;
    // Without a 2D canvas (some locked-down browsers, test DOMs) the table is the chart.
    if (!canDraw()) {
      setFailed(true);
      return;
    }
    let plot: { destroy(): void } | null = null;
    let cancelled = false;
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        const width = Math.max(280, el.clientWidth || 640);
        plot = new UPlot(
          {
            width,
            height: 220,
            scales: { x: { time: true } },
            axes: [{}, { label: chart.unit, size: 60 }],
            series: [{ label: 'Time' }, ...chart.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false, points: { show: times.length <= 60 } }))],
          },
          [times, ...chart.series.map((s) => s.values)] as unknown as ConstructorParameters<UPlotClass>[1],
          el,
        );
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
      plot?.destroy();
      el.replaceChildren();
    };
  }, [chart, times, showTable]);

  const totals = chart.series.map((s) => {
    const values = s.values.filter((v): v is number => v !== null);
    if (chart.unit === '%' || chart.unit === 'ms') return `${s.label}: ${values.length ? `${Math.min(...values)}–${Math.max(...values)} ${chart.unit}` : 'no data'}`;
    return `${s.label}: ${values.reduce((a, b) => a + b, 0)}`;
  });

  return (
    <figure className="panel activity-chart" aria-labelledby={captionId} data-testid={`chart-${chart.id}`}>
      <div className="row row--between">
        <figcaption id={captionId}>
          <strong>{chart.title}</strong>
        </figcaption>
        {failed ? (
          <span className="muted">Charts are not available in this browser: the table shows the figures.</span>
        ) : (
          <button type="button" aria-pressed={asTable} onClick={() => setAsTable((v) => !v)} data-testid={`toggle-${chart.id}`}>
            {asTable ? 'Show chart' : 'Show table'}
          </button>
        )}
      </div>
      {!hasData && <p className="muted">Nothing to show in this range yet.</p>}
      {showTable ? (
        <div className="table-scroll">
          <table data-testid={`table-${chart.id}`}>
            <caption className="sr-only">{chart.title}</caption>
            <thead>
              <tr>
                <th scope="col">Period</th>
                {chart.series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                    {chart.unit === '%' || chart.unit === 'ms' ? ` (${chart.unit})` : ''}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, i) => (
                <tr key={label + i}>
                  <th scope="row">{label}</th>
                  {chart.series.map((s) => (
                    <td key={s.label}>{s.values[i] ?? '–'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <>
          <div ref={host} className="activity-chart__plot" aria-hidden="true" data-testid={`plot-${chart.id}`} />
          <p className="muted">{totals.join(' · ')}</p>
        </>
      )}
    </figure>
  );
}

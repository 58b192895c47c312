// Charts drawn as SVG by hand (no library): colours come from app.css classes, text from text nodes.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

// series: [{name, points: [{x: Date, y: number, label: string}], dashed: bool}]; y from 0 to 1.
export function lineChart(series, { width = 720, height = 260 } = {}) {
  const pad = { left: 40, right: 16, top: 12, bottom: 28 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x.getTime()));
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg",
    role: "img",
    "aria-label": "metrics of the model versions over time",
  });
  if (xs.length === 0) {
    root.append(svg("text", { x: width / 2, y: height / 2, class: "axis-label", "text-anchor": "middle" }, "no version yet"));
    return root;
  }
  let low = Math.min(...xs);
  let high = Math.max(...xs);
  if (low === high) {
    low -= 3600_000;
    high += 3600_000;
  }
  const x = (t) => pad.left + ((t - low) / (high - low)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - Math.max(0, Math.min(1, v)) * (height - pad.top - pad.bottom);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" }));
    root.append(svg("text", { x: pad.left - 6, y: y(tick) + 4, class: "axis-label", "text-anchor": "end" }, tick.toFixed(2)));
  }
  for (const [moment, anchor] of [[low, "start"], [high, "end"]]) {
    const label = new Date(moment).toLocaleString();
    root.append(svg("text", { x: x(moment), y: height - 8, class: "axis-label", "text-anchor": anchor }, label));
  }
  series.forEach((s, index) => {
    const points = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const group = svg("g", { class: `series series-${index}${s.dashed ? " dashed" : ""}`, "data-series": s.name });
    if (points.length > 1) {
      const path = points.map((p, i) => `${i ? "L" : "M"}${x(p.x.getTime()).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ");
      group.append(svg("path", { d: path, class: "line" }));
    }
    for (const p of points) {
      group.append(svg("circle", { cx: x(p.x.getTime()), cy: y(p.y), r: 3.5, class: "point" }, svg("title", {}, `${s.name} ${p.label}: ${p.y.toFixed(4)}`)));
    }
    root.append(group);
  });
  return root;
}

export function legend(series) {
  const list = document.createElement("ul");
  list.className = "legend";
  series.forEach((s, index) => {
    const item = document.createElement("li");
    item.className = `series-${index}${s.dashed ? " dashed" : ""}`;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    item.append(swatch, s.name);
    list.append(item);
  });
  return list;
}

// A 95 % interval as a bar from low to high with a dot at the estimate, on a scale 0..top.
export function intervalBar(low, estimate, high, top) {
  const width = 160;
  const height = 16;
  const scale = (v) => 4 + (Math.max(0, Math.min(top, v)) / (top || 1)) * (width - 8);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "interval", width, height });
  root.append(svg("line", { x1: 4, x2: width - 4, y1: height / 2, y2: height / 2, class: "grid" }));
  if ([low, estimate, high].every(Number.isFinite)) {
    root.append(svg("line", { x1: scale(low), x2: scale(high), y1: height / 2, y2: height / 2, class: "range" }));
    root.append(svg("circle", { cx: scale(estimate), cy: height / 2, r: 3.5, class: "estimate" }));
  }
  return root;
}

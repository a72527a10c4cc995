/// The dashboard's own CSS and its one script: plain JavaScript drawing SVG charts from the REST API, no build step
/// and no third-party code. When every chart is drawn the body gets `data-charts="rendered"`; any error lands in
/// `data-errors` and in a banner.
enum DashboardPage {
    static let stylesheet = """
        nav { display: flex; gap: 1rem; padding: .4rem 0; border-bottom: 1px solid #d0d7de; margin-bottom: 1rem; }
        nav a { color: #0969da; text-decoration: none; font-weight: 600; }
        .banner { padding: .7rem 1rem; border-left: 6px solid #8c959f; background: #f6f8fa; margin: .5rem 0 1rem; }
        body.stable .banner { border-color: #1a7f37; } body.needs-fix .banner { border-color: #bf8700; } body.at-risk .banner { border-color: #cf222e; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1rem; }
        figure { margin: 0; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem; }
        figcaption { font-weight: 600; display: flex; justify-content: space-between; gap: .5rem; }
        svg.chart { width: 100%; height: auto; font: 12px system-ui, sans-serif; }
        .legend { font-size: 12px; color: #57606a; margin: .2rem 0 0; }
        tr.breach td, tr.integrity_failure td, td.breach, .verdict-at-risk, .verdict-down { color: #cf222e; font-weight: 600; }
        tr.watch td, .verdict-needs-fix { color: #9a6700; } .verdict-stable, td.pass, .verdict-up { color: #1a7f37; }
        .error, #script-errors { color: #cf222e; font-weight: 600; }

        """

    static let script = #"""
        "use strict";
        (function () {
          const errors = [];
          function fail(message) {
            errors.push(String(message));
            document.body.dataset.errors = errors.join(" | ");
            let box = document.getElementById("script-errors");
            if (!box) { box = document.createElement("p"); box.id = "script-errors"; document.body.prepend(box); }
            box.textContent = "Dashboard error: " + errors.join(" | ");
          }
          window.addEventListener("error", (event) => fail(event.message));
          const NS = "http://www.w3.org/2000/svg";
          const W = 640, H = 252, L = 52, R = 12, T = 24, B = 30;
          const palette = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#57606a"];

          function el(name, attrs, parent, text) {
            const node = document.createElementNS(NS, name);
            for (const key in attrs) node.setAttribute(key, attrs[key]);
            if (text !== undefined) node.textContent = text;
            parent.appendChild(node);
            return node;
          }

          // Enough decimals to tell ticks `step` apart.
          function fmt(value, step) {
            const decimals = Math.max(0, Math.min(6, 1 - Math.floor(Math.log10(step || 1))));
            return value.toFixed(decimals);
          }

          // series: [{name, points: [[ms, value]]}], bands: [[ms, low, high]], marks: [ms]
          function draw(svg, series, bands, marks, unit) {
            while (svg.firstChild) svg.removeChild(svg.firstChild);
            const all = series.flatMap((s) => s.points);
            if (all.length === 0) {
              el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", fill: "#57606a" }, svg, "No data yet");
              svg.dataset.state = "empty";
              return;
            }
            const times = all.map((p) => p[0]).concat(bands.map((b) => b[0]));
            const values = all.map((p) => p[1]).concat(bands.flatMap((b) => [b[1], b[2]]));
            let t0 = Math.min(...times), t1 = Math.max(...times);
            if (t0 === t1) { t0 -= 60000; t1 += 60000; }
            let v0 = Math.min(...values), v1 = Math.max(...values);
            const pad = (v1 - v0) * 0.08 || Math.abs(v1) * 0.1 || 1;
            v0 -= pad; v1 += pad;
            const x = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
            const y = (v) => H - B - (v - v0) / (v1 - v0) * (H - T - B);
            for (let i = 0; i <= 4; i++) {
              const v = v0 + (v1 - v0) * i / 4;
              el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#eaeef2" }, svg);
              el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", fill: "#57606a" }, svg, fmt(v, (v1 - v0) / 4));
            }
            for (let i = 0; i <= 2; i++) {
              const t = t0 + (t1 - t0) * i / 2;
              const label = new Date(t).toISOString().replace("T", " ").slice(5, 16);
              el("text", { x: x(t), y: H - 8, "text-anchor": i === 0 ? "start" : i === 2 ? "end" : "middle", fill: "#57606a" }, svg, label);
            }
            // The unit heads the tick column, above the plot, clear of the top tick.
            if (unit) el("text", { x: L - 4, y: T - 10, "text-anchor": "end", fill: "#57606a", class: "unit" }, svg, unit);
            if (bands.length > 0) {
              const upper = bands.map((b) => x(b[0]) + "," + y(b[2]));
              const lower = bands.slice().reverse().map((b) => x(b[0]) + "," + y(b[1]));
              el("polygon", { points: upper.concat(lower).join(" "), fill: "#0969da", "fill-opacity": "0.12", class: "baseline-band" }, svg);
            }
            for (const t of marks) {
              el("line", { x1: x(t), x2: x(t), y1: T, y2: H - B, stroke: "#cf222e", "stroke-dasharray": "4 3", class: "change-point" }, svg);
            }
            // The legend is one row above the plot, right-aligned, the first series leftmost.
            const legendX = [];
            let right = W - R;
            for (let i = series.length - 1; i >= 0; i--) { legendX[i] = right; right -= series[i].name.length * 7 + 14; }
            series.forEach((s, index) => {
              const color = palette[index % palette.length];
              const points = s.points.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
              el("polyline", { points, fill: "none", stroke: color, "stroke-width": 1.8, class: "series" }, svg);
              if (s.points.length < 60) for (const p of s.points) el("circle", { cx: x(p[0]), cy: y(p[1]), r: 2.5, fill: color }, svg);
              el("text", { x: legendX[index], y: T - 10, "text-anchor": "end", fill: color, class: "legend" }, svg, s.name);
            });
            svg.dataset.state = "drawn";
          }

          async function getJSON(url) {
            const response = await fetch(url, { headers: { Accept: "application/json" } });
            if (response.status === 404) return null;
            if (!response.ok) throw new Error(url + ": HTTP " + response.status);
            return response.json();
          }

          async function latency(name) {
            const svg = document.getElementById("latency-chart");
            const data = name ? await getJSON("/api/v1/metrics/" + encodeURIComponent(name) + "?days=90") : null;
            if (!data) { draw(svg, [], [], [], ""); return; }
            const points = data.points.map((p) => [Date.parse(p.recorded_at), p.value]);
            const bands = data.baseline.map((b) => [Date.parse(b.t), b.low, b.high]);
            const marks = data.change_points.map((c) => Date.parse(c.t));
            draw(svg, [{ name, points }], bands, marks, name.endsWith("_ms") ? "ms" : name.endsWith("_rps") ? "req/s" : "");
          }

          async function main() {
            const charts = document.querySelector("section.charts");
            if (!charts) return;
            const names = ((await getJSON("/api/v1/metrics")) || { metrics: [] }).metrics;
            const select = document.getElementById("metric");
            const ordered = names.filter((n) => n.startsWith("latency.")).concat(names.filter((n) => !n.startsWith("latency.")));
            for (const name of ordered) {
              const option = document.createElement("option");
              option.value = name;
              option.textContent = name;
              select.appendChild(option);
            }
            const preferred = ["latency.total.p95_ms", "latency.total.p99_ms"].find((n) => ordered.includes(n)) || ordered[0];
            if (preferred) select.value = preferred;
            select.addEventListener("change", () => latency(select.value).catch(fail));
            await latency(preferred);

            const resources = await getJSON("/api/v1/resources?hours=24");
            const samples = resources ? resources.samples : [];
            const utilization = [["CPU %", "cpu_percent"], ["memory %", "memory_percent"], ["GPU %", "gpu_percent"]]
              .map(([label, key]) => ({ name: label, points: samples.filter((s) => typeof s[key] === "number").map((s) => [Date.parse(s.ts), s[key]]) }))
              .filter((s) => s.points.length > 0);
            draw(document.getElementById("utilization-chart"), utilization, [], [], "%");

            const uptime = [];
            for (const name of names.filter((n) => n.includes("uptime"))) {
              const data = await getJSON("/api/v1/metrics/" + encodeURIComponent(name) + "?days=90");
              if (data) uptime.push({ name: name.replace(/^resources\./, ""), points: data.points.map((p) => [Date.parse(p.recorded_at), p.value]) });
            }
            draw(document.getElementById("uptime-chart"), uptime, [], [], "%");
            document.body.dataset.charts = "rendered";
          }

          main().catch(fail);
        })();

        """#
}

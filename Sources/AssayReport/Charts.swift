import AssayCore
import Foundation

/// Inline SVG pictures for report.html, drawn from the findings' series: no scripts, no external resources.
enum Charts {
    struct Line {
        var name: String
        var points: [SeriesPoint]
        var color: String
        var dashed = false
        var dots = false
    }

    /// A labelled rule across the plot at `value` (horizontal: a y value; vertical: an x value).
    struct Rule {
        var value: Double
        var label: String
        var color: String
    }

    /// A labelled point (a projection, the current run).
    struct Marker {
        var point: SeriesPoint
        var label: String
        var color: String
    }

    static let width = 560.0
    static let height = 250.0
    static let margin = (left: 62.0, right: 16.0, top: 30.0, bottom: 46.0)

    /// One plot: lines over linear axes with ticks, rules, a shaded y band, shaded x spans and markers.
    static func plot(
        id: String, title: String, xLabel: String, yLabel: String, lines: [Line], horizontal: [Rule] = [], vertical: [Rule] = [],
        band: (low: Double, high: Double, label: String)? = nil, spans: [(from: Double, to: Double)] = [], markers: [Marker] = [],
        yRange: (low: Double, high: Double)? = nil,
        xFormat: (Double) -> String = Formatting.milliseconds, yFormat: (Double) -> String = Formatting.milliseconds
    ) -> String {
        // A value that is not a number has no place on an axis.
        let lines = lines.map { line in
            var line = line
            line.points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            return line
        }
        let markers = markers.filter { $0.point.x.isFinite && $0.point.y.isFinite }
        let xs = lines.flatMap { $0.points.map(\.x) } + vertical.map(\.value) + markers.map(\.point.x) + spans.flatMap { [$0.from, $0.to] }
        let ys = lines.flatMap { $0.points.map(\.y) } + horizontal.map(\.value) + markers.map(\.point.y) + (band.map { [$0.low, $0.high] } ?? [])
            + (yRange.map { [$0.low, $0.high] } ?? [])
        let (finiteX, finiteY) = (xs.filter(\.isFinite), ys.filter(\.isFinite))
        guard let xMin = finiteX.min(), let xMax = finiteX.max(), let yLow = finiteY.min(), let yHigh = finiteY.max() else { return "" }
        let xTicks = ticks(xMin, xMax)
        let yTicks = ticks(min(0, yLow), yHigh)
        let (x0, x1) = (xTicks.first ?? xMin, xTicks.last ?? xMax)
        let (y0, y1) = (yTicks.first ?? yLow, yTicks.last ?? yHigh)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        func sx(_ x: Double) -> Double { margin.left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * plotWidth }
        func sy(_ y: Double) -> Double { margin.top + plotHeight - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = ##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="\##(escape(id))" viewBox="0 0 \##(Int(width)) \##(Int(height))" "##
            + ##"width="\##(Int(width))" height="\##(Int(height))" role="img" aria-label="\##(escape(title))">"##
        svg += ##"<title>\##(escape(title))</title>"##
        svg += ##"<text x="\##(f(margin.left))" y="18" class="chart-title">\##(escape(title))</text>"##
        for span in spans {
            svg += ##"<rect class="span" x="\##(f(sx(span.from)))" y="\##(f(margin.top))" width="\##(f(max(1.5, sx(span.to) - sx(span.from))))" height="\##(f(plotHeight))" fill="\##(limit)" fill-opacity="0.18"/>"##
        }
        if let band {
            svg += ##"<rect class="band" x="\##(f(margin.left))" y="\##(f(sy(band.high)))" width="\##(f(plotWidth))" height="\##(f(max(1, sy(band.low) - sy(band.high))))" fill="\##(pass)" fill-opacity="0.15"><title>\##(escape(band.label))</title></rect>"##
        }
        for tick in yTicks {
            svg += ##"<line x1="\##(f(margin.left))" x2="\##(f(margin.left + plotWidth))" y1="\##(f(sy(tick)))" y2="\##(f(sy(tick)))" stroke="\##(grid)"/>"##
            svg += ##"<text x="\##(f(margin.left - 6))" y="\##(f(sy(tick) + 4))" text-anchor="end" class="tick">\##(escape(yFormat(tick)))</text>"##
        }
        for tick in xTicks {
            svg += ##"<text x="\##(f(sx(tick)))" y="\##(f(margin.top + plotHeight + 16))" text-anchor="middle" class="tick">\##(escape(xFormat(tick)))</text>"##
        }
        svg += ##"<rect x="\##(f(margin.left))" y="\##(f(margin.top))" width="\##(f(plotWidth))" height="\##(f(plotHeight))" fill="none" stroke="\##(previous)"/>"##
        svg += ##"<text x="\##(f(margin.left + plotWidth / 2))" y="\##(f(height - 6))" text-anchor="middle" class="axis">\##(escape(xLabel))</text>"##
        svg += ##"<text transform="translate(14 \##(f(margin.top + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\##(escape(yLabel))</text>"##
        // The lines as drawn, in picture coordinates, so labels can be placed clear of them.
        let drawn = lines.map { $0.points.map { (x: sx($0.x), y: sy($0.y)) } }
        for rule in horizontal {
            svg += ##"<line class="rule" x1="\##(f(margin.left))" x2="\##(f(margin.left + plotWidth))" y1="\##(f(sy(rule.value)))" y2="\##(f(sy(rule.value)))" stroke="\##(rule.color)" stroke-dasharray="5 3"/>"##
            // Above the rule at the right, else below it, else the same at the left: wherever no line crosses the label.
            let (y, right, left) = (sy(rule.value), margin.left + plotWidth - 4, margin.left + 4)
            let spot = clearSpot(for: rule.label, among: [(right, y - 4, true), (right, y + 13, true), (left, y - 4, false), (left, y + 13, false)], lines: drawn)
            svg += ##"<text x="\##(f(spot.x))" y="\##(f(spot.y))" text-anchor="\##(spot.alignEnd ? "end" : "start")" class="label" fill="\##(rule.color)">\##(escape(rule.label))</text>"##
        }
        for (index, rule) in vertical.enumerated() {
            svg += ##"<line class="rule" x1="\##(f(sx(rule.value)))" x2="\##(f(sx(rule.value)))" y1="\##(f(margin.top))" y2="\##(f(margin.top + plotHeight))" stroke="\##(rule.color)" stroke-dasharray="5 3"/>"##
            // At the top right of the rule, else the bottom right, else the same at its left: wherever no line crosses
            // the label (a CDF runs along the top right of its P95); neighbours are stacked.
            let (x, stack) = (sx(rule.value), Double(index % 3) * 12)
            let (top, bottom) = (margin.top + 12 + stack, margin.top + plotHeight - 5 - stack)
            let spot = clearSpot(for: rule.label, among: [(x + 3, top, false), (x + 3, bottom, false), (x - 3, top, true), (x - 3, bottom, true)], lines: drawn)
            svg += ##"<text x="\##(f(spot.x))" y="\##(f(spot.y))" text-anchor="\##(spot.alignEnd ? "end" : "start")" class="label" fill="\##(rule.color)">\##(escape(rule.label))</text>"##
        }
        for line in lines where !line.points.isEmpty {
            let path = line.points.map { "\(f(sx($0.x))),\(f(sy($0.y)))" }.joined(separator: " ")
            svg += ##"<polyline class="series" points="\##(path)" fill="none" stroke="\##(line.color)" stroke-width="2"\##(line.dashed ? ##" stroke-dasharray="4 3""## : "")><title>\##(escape(line.name))</title></polyline>"##
            if line.dots {
                for point in line.points {
                    svg += ##"<circle cx="\##(f(sx(point.x)))" cy="\##(f(sy(point.y)))" r="2.5" fill="\##(line.color)"/>"##
                }
            }
        }
        for (index, marker) in markers.enumerated() {
            let (x, y) = (sx(marker.point.x), sy(marker.point.y))
            // Labels near the right edge go to the left of their point; neighbours are stacked.
            let right = x > margin.left + plotWidth * 0.75
            svg += ##"<circle class="marker" cx="\##(f(x))" cy="\##(f(y))" r="4.5" fill="\##(marker.color)"><title>\##(escape(marker.label))</title></circle>"##
            svg += ##"<text x="\##(f(right ? x - 7 : x + 7))" y="\##(f(y - 7 - Double(index) * 13))" text-anchor="\##(right ? "end" : "start")" class="label" fill="\##(marker.color)">\##(escape(marker.label))</text>"##
        }
        // The legend names the lines when there are several.
        var legendX = margin.left + plotWidth
        for line in lines.reversed() where !line.points.isEmpty && lines.count > 1 {
            legendX -= Double(line.name.count) * 6.2 + 26
            svg += ##"<line x1="\##(f(legendX))" x2="\##(f(legendX + 16))" y1="14" y2="14" stroke="\##(line.color)" stroke-width="2"\##(line.dashed ? ##" stroke-dasharray="4 3""## : "")/>"##
            svg += ##"<text x="\##(f(legendX + 20))" y="18" class="legend">\##(escape(line.name))</text>"##
        }
        return svg + "</svg>"
    }

    /// The first of `candidates` (a text baseline point, and whether the text ends there) where a label of `text`
    /// stays inside the picture and no segment of `lines` crosses it; the first candidate when none is clear.
    static func clearSpot(
        for text: String, among candidates: [(x: Double, y: Double, alignEnd: Bool)], lines: [[(x: Double, y: Double)]]
    ) -> (x: Double, y: Double, alignEnd: Bool) {
        let width = Double(text.count) * 6.2
        for candidate in candidates {
            let left = candidate.alignEnd ? candidate.x - width : candidate.x
            let box = (left: left - 2, right: left + width + 2, top: candidate.y - 11, bottom: candidate.y + 3)
            guard box.left >= 0, box.right <= Self.width else { continue }
            let crossed = lines.contains { points in
                zip(points, points.dropFirst()).contains { segment($0, $1, crosses: box) }
            }
            if !crossed { return candidate }
        }
        return candidates[0]
    }

    /// Whether the segment from `a` to `b` passes through the rectangle (Liang–Barsky clipping).
    static func segment(
        _ a: (x: Double, y: Double), _ b: (x: Double, y: Double), crosses box: (left: Double, right: Double, top: Double, bottom: Double)
    ) -> Bool {
        let (dx, dy) = (b.x - a.x, b.y - a.y)
        var (enter, leave) = (0.0, 1.0)
        for (p, q) in [(-dx, a.x - box.left), (dx, box.right - a.x), (-dy, a.y - box.top), (dy, box.bottom - a.y)] {
            if p == 0 {
                if q < 0 { return false }
            } else {
                let t = q / p
                if p < 0 { enter = max(enter, t) } else { leave = min(leave, t) }
                if enter > leave { return false }
            }
        }
        return true
    }

    /// About five round tick values covering [low, high].
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let first = floor(low / step) * step
        return stride(from: first, through: ceil(high / step) * step + step / 2, by: step).map { ($0 / step).rounded() * step }
    }

    static func escape(_ text: String) -> String { TextEscaping.xml(text) }

    static let current = "#0969da"
    static let previous = "#8c959f"
    static let limit = "#cf222e"
    static let note = "#9a6700"
    static let pass = "#1a7f37"
    static let grid = "#eaeef2"
}

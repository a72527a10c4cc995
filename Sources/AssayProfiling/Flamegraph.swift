import AssayCore
import Foundation

/// Folded stacks ("frame;frame;frame value"), the input of FlameGraph's flamegraph.pl and of the SVG here.
/// Values are self time in whole microseconds; the root frame of every stack is its lane, `pid/tid`.
public struct FoldedStacks: Sendable, Hashable {
    public var stacks: [String: Int]

    public init(stacks: [String: Int]) {
        self.stacks = stacks
    }

    /// Self time of every span, keyed by its stack. `;` inside names becomes `:` so frames stay separable.
    public init(lanes: [TraceLane]) {
        var totals: [String: Double] = [:]
        for lane in lanes {
            var path = [String](repeating: "", count: lane.spans.count)
            for index in lane.spans.indices {
                let name = lane.spans[index].name.replacingOccurrences(of: ";", with: ":")
                path[index] = (lane.parent[index].map { path[$0] } ?? lane.name.replacingOccurrences(of: ";", with: ":")) + ";" + name
                let own = lane.selfTime[index]
                if own > 0 { totals[path[index], default: 0] += own }
            }
        }
        stacks = totals.compactMapValues { value in
            let rounded = FoldedStacks.whole(value)
            return rounded > 0 ? rounded : nil
        }
    }

    /// Reads folded text; a malformed line is an error naming it.
    public init(text: String, path: String) throws {
        var stacks: [String: Int] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let space = line.lastIndex(of: " "), let value = Int(line[line.index(after: space)...]), value >= 0 else {
                throw TraceError(path: path, byteOffset: 0, expected: "line \(number + 1): \"frame;frame value\" with an integer value")
            }
            stacks[String(line[..<space]), default: 0] += value
        }
        self.stacks = stacks
    }

    /// One line per stack, sorted, as flamegraph.pl expects.
    public var text: String {
        stacks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
    }

    /// The sum of every stack's value, saturating at Int.max.
    public var total: Int {
        stacks.values.reduce(0) { sum, value in
            let (added, overflow) = sum.addingReportingOverflow(value)
            return overflow ? Int.max : added
        }
    }

    /// `value` rounded to a whole number, saturating at the ends of Int (and 0 for NaN).
    public static func whole(_ value: Double) -> Int {
        let rounded = value.rounded()
        if rounded.isNaN { return 0 }
        if rounded >= 9.2e18 { return Int.max }
        if rounded <= -9.2e18 { return Int.min }
        return Int(rounded)
    }
}

/// A frame tree built from folded stacks: each node's value is its own plus its descendants' time.
struct FrameNode {
    var name: String
    var value: Double = 0
    var other: Double = 0
    var children: [String: Int] = [:]
    var childOrder: [Int] = []
}

struct FrameTree {
    var nodes: [FrameNode] = [FrameNode(name: "all")]

    mutating func add(_ stack: String, value: Double, other: Double) {
        var current = 0
        nodes[0].value += value
        nodes[0].other += other
        for frame in stack.split(separator: ";") {
            let name = String(frame)
            if let child = nodes[current].children[name] {
                current = child
            } else {
                nodes.append(FrameNode(name: name))
                nodes[current].children[name] = nodes.count - 1
                current = nodes.count - 1
            }
            nodes[current].value += value
            nodes[current].other += other
        }
    }

    /// Children in name order, so the same stacks always give the same picture.
    mutating func sortChildren() {
        for index in nodes.indices {
            nodes[index].childOrder = nodes[index].children.sorted { $0.key < $1.key }.map(\.value)
        }
    }
}

/// Self-contained interactive flamegraph SVG: click a frame to zoom, click "Reset zoom" to go back, "Search"
/// highlights frames matching a regular expression and shows their share; hover shows the frame's time.
public enum FlamegraphSVG {
    public struct Options: Sendable {
        public var title: String
        public var width: Double = 1200
        public var frameHeight: Double = 16
        /// Frames narrower than this many pixels are left out (as flamegraph.pl's --minwidth).
        public var minimumWidth: Double = 0.1
        public var unit: String = "µs"
        /// Click-to-zoom and search (a script); without, a still picture that can sit inside an HTML page.
        public var interactive = true

        public init(title: String) {
            self.title = title
        }
    }

    /// A flamegraph of one profile.
    public static func render(_ folded: FoldedStacks, options: Options) -> String {
        var tree = FrameTree()
        for (stack, value) in folded.stacks { tree.add(stack, value: Double(value), other: 0) }
        return render(tree, options: options, differential: false)
    }

    /// A differential flamegraph: widths are the `after` profile, colour is the change from `before` (red:
    /// more time, blue: less), as Brendan Gregg's difffolded. With `normalize`, `before` is scaled to the same
    /// total first, so traces of different lengths compare by share.
    public static func renderDifference(before: FoldedStacks, after: FoldedStacks, normalize: Bool, options: Options) -> String {
        let scale = normalize && before.total > 0 ? Double(after.total) / Double(before.total) : 1
        var tree = FrameTree()
        for (stack, value) in after.stacks { tree.add(stack, value: Double(value), other: Double(before.stacks[stack] ?? 0) * scale) }
        for (stack, value) in before.stacks where after.stacks[stack] == nil { tree.add(stack, value: 0, other: Double(value) * scale) }
        return render(tree, options: options, differential: true)
    }

    private static func render(_ input: FrameTree, options: Options, differential: Bool) -> String {
        var tree = input
        tree.sortChildren()
        let total = max(tree.nodes[0].value, 1)
        let maxDelta = tree.nodes.map { abs($0.value - $0.other) }.max() ?? 1
        var frames: [(node: Int, x: Double, width: Double, depth: Int)] = []
        var maxDepth = 0
        func place(_ index: Int, x: Double, depth: Int) {
            let width = tree.nodes[index].value / total
            guard width * options.width >= options.minimumWidth else { return }
            frames.append((index, x, width, depth))
            maxDepth = max(maxDepth, depth)
            var childX = x
            for child in tree.nodes[index].childOrder {
                place(child, x: childX, depth: depth + 1)
                childX += tree.nodes[child].value / total
            }
        }
        place(0, x: 0, depth: 0)
        let top = 48.0
        let height = top + Double(maxDepth + 1) * options.frameHeight + 24
        var svg = options.interactive ? "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n" : ""
        svg += """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(options.width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(options.width)) \(Int(height))" font-family="Verdana, sans-serif" font-size="12"\
            \(options.interactive ? "" : " class=\"flamegraph\"")>
            <style>.f:hover rect{stroke:#000;stroke-width:0.5}.f text{pointer-events:none}</style>
            <rect width="100%" height="100%" fill="#f8f8f8"/>
            <text x="\(Int(options.width / 2))" y="20" text-anchor="middle" font-size="16">\(escape(options.title))</text>

            """
        if options.interactive {
            svg += """
                <text id="reset" x="10" y="40" style="cursor:pointer;opacity:0">Reset zoom</text>
                <text id="search" x="\(Int(options.width - 110))" y="40" style="cursor:pointer">Search</text>
                <text id="matched" x="\(Int(options.width - 10))" y="\(Int(height - 8))" text-anchor="end"></text>
                <text id="details" x="10" y="\(Int(height - 8))"></text>

                """
        }
        for frame in frames {
            let node = tree.nodes[frame.node]
            let y = height - 24 - Double(frame.depth + 1) * options.frameHeight
            let delta = node.value - node.other
            let fill = differential ? diffColour(delta / max(maxDelta, 1)) : warmColour(node.name)
            var info = "\(node.name) (\(FoldedStacks.whole(node.value)) \(options.unit), \(percent(node.value / total * 100))"
            if differential {
                info += ", \(delta >= 0 ? "+" : "")\(FoldedStacks.whole(delta)) \(options.unit) vs before"
            }
            info += ")"
            svg += "<g class=\"f\" data-x=\"\(frame.x)\" data-w=\"\(frame.width)\" data-d=\"\(frame.depth)\">"
            svg += "<title>\(escape(info))</title>"
            svg += "<rect x=\"\(format(frame.x * options.width))\" y=\"\(format(y))\" width=\"\(format(frame.width * options.width))\" "
            svg += "height=\"\(format(options.frameHeight - 1))\" fill=\"\(fill)\" rx=\"2\"/>"
            svg += "<text x=\"\(format(frame.x * options.width + 3))\" y=\"\(format(y + options.frameHeight - 4))\" "
            svg += "data-n=\"\(escape(node.name))\">\(escape(label(node.name, width: frame.width * options.width)))</text></g>\n"
        }
        if options.interactive { svg += "<script><![CDATA[\n\(script(width: options.width))\n]]></script>\n" }
        svg += "</svg>\n"
        return svg
    }

    private static func label(_ name: String, width: Double) -> String {
        let fits = Int((width - 6) / 7)
        if fits < 3 { return "" }
        return name.count <= fits ? name : String(name.prefix(fits - 2)) + ".."
    }

    private static func warmColour(_ name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let r = 205 + Int(hash % 50)
        let g = Int((hash >> 8) % 180)
        let b = Int((hash >> 16) % 55)
        return "rgb(\(r),\(g),\(b))"
    }

    /// Red for more time, blue for less, white for no change.
    private static func diffColour(_ share: Double) -> String {
        let strength = Int((1 - min(1, abs(share))) * 220)
        return share >= 0 ? "rgb(255,\(strength),\(strength))" : "rgb(\(strength),\(strength),255)"
    }

    private static func percent(_ value: Double) -> String { String(format: "%.2f%%", value) }
    private static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    static func escape(_ text: String) -> String {
        TextEscaping.xml(text)
    }

    private static func script(width: Double) -> String {
        """
        const W = \(width);
        const frames = Array.from(document.querySelectorAll('g.f'));
        function fit(g, x, w) {
          const r = g.querySelector('rect'), t = g.querySelector('text');
          r.setAttribute('x', x * W); r.setAttribute('width', Math.max(0, w * W));
          t.setAttribute('x', x * W + 3);
          const n = t.getAttribute('data-n'), fits = Math.floor((w * W - 6) / 7);
          t.textContent = fits < 3 ? '' : (n.length <= fits ? n : n.slice(0, fits - 2) + '..');
        }
        function zoom(target) {
          const x0 = +target.dataset.x, w0 = +target.dataset.w, d0 = +target.dataset.d;
          for (const g of frames) {
            const x = +g.dataset.x, w = +g.dataset.w, d = +g.dataset.d;
            const inside = x >= x0 - 1e-12 && x + w <= x0 + w0 + 1e-12;
            const encloses = x <= x0 + 1e-12 && x + w >= x0 + w0 - 1e-12;
            if (d >= d0 && inside) { g.style.display = ''; fit(g, (x - x0) / w0, w / w0); }
            else if (d < d0 && encloses) { g.style.display = ''; fit(g, 0, 1); }
            else { g.style.display = 'none'; }
          }
          document.getElementById('reset').style.opacity = 1;
        }
        function reset() {
          for (const g of frames) { g.style.display = ''; fit(g, +g.dataset.x, +g.dataset.w); }
          document.getElementById('reset').style.opacity = 0;
        }
        for (const g of frames) {
          g.addEventListener('click', () => zoom(g));
          g.addEventListener('mouseover', () => {
            document.getElementById('details').textContent = g.querySelector('title').textContent;
          });
        }
        document.getElementById('reset').addEventListener('click', reset);
        document.getElementById('search').addEventListener('click', () => {
          const term = prompt('Search (regular expression)');
          const matched = document.getElementById('matched');
          if (!term) { for (const g of frames) g.querySelector('rect').style.fill = ''; matched.textContent = ''; return; }
          const re = new RegExp(term);
          let share = 0; const counted = [];
          for (const g of frames) {
            const hit = re.test(g.querySelector('text').getAttribute('data-n'));
            g.querySelector('rect').style.fill = hit ? 'rgb(230,0,230)' : '';
            if (hit) {
              const x = +g.dataset.x, w = +g.dataset.w;
              if (!counted.some(([cx, cw]) => x >= cx && x + w <= cx + cw)) { counted.push([x, w]); share += w; }
            }
          }
          matched.textContent = 'Matched: ' + (share * 100).toFixed(1) + '%';
        });
        """
    }
}

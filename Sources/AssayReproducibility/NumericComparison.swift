import CSV
import Foundation

/// The outcome of comparing two structured outputs value by value.
struct NumericComparison {
    var firstLocation: String?
    var firstExpected: String?
    var firstObserved: String?
    var differingNumbers = 0
    var maxAbsolute = 0.0
    var maxRelative = 0.0
    /// Non-numeric differences (text cells, shape or length changes).
    var structuralDifference = false
    /// Pairs of differing numbers, kept to judge them against the tolerances.
    var numberPairs: [(Double, Double)] = []
    var withinTolerance = false

    mutating func record(_ location: String, _ expected: String?, _ observed: String?) {
        if firstLocation == nil {
            firstLocation = location
            firstExpected = expected
            firstObserved = observed
        }
    }

    mutating func number(_ location: String, _ l: Double, _ r: Double) {
        if l == r || (l.isNaN && r.isNaN) { return }
        let absolute = abs(l - r)
        differingNumbers += 1
        if absolute.isFinite {
            maxAbsolute = max(maxAbsolute, absolute)
            maxRelative = max(maxRelative, absolute / max(abs(l), abs(r), .leastNormalMagnitude))
        } else {
            maxAbsolute = .infinity
        }
        numberPairs.append((l, r))
        record(location, Self.render(l), Self.render(r))
    }

    mutating func judge(absoluteTolerance: Double, relativeTolerance: Double) {
        withinTolerance = !structuralDifference && differingNumbers > 0
            && numberPairs.allSatisfy { l, r in abs(l - r) <= absoluteTolerance + relativeTolerance * abs(l) }
        numberPairs = []
    }

    static func render(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// CSV and TSV outputs, compared by row and column (the first row is the header).
enum TableComparison {
    static func compare(_ a: [UInt8], _ b: [UInt8], delimiter: UnicodeScalar) -> NumericComparison? {
        guard let left = rows(a, delimiter), let right = rows(b, delimiter) else { return nil }
        var result = NumericComparison()
        let header = left.first ?? []
        if header != (right.first ?? []) {
            result.structuralDifference = true
            result.record("header", header.joined(separator: ","), (right.first ?? []).joined(separator: ","))
        }
        for index in 1..<max(left.count, right.count, 1) {
            guard index < left.count, index < right.count else {
                result.structuralDifference = true
                result.record("row \(index)", index < left.count ? "present" : "absent", index < right.count ? "present" : "absent")
                continue
            }
            let l = left[index]
            let r = right[index]
            for column in 0..<max(l.count, r.count) {
                let name = column < header.count ? header[column] : String(column + 1)
                let location = "row \(index), column \(name)"
                let x = column < l.count ? l[column] : nil
                let y = column < r.count ? r[column] : nil
                if x == y { continue }
                if let x, let y, let dx = Double(x), let dy = Double(y) {
                    result.number(location, dx, dy)
                } else {
                    result.structuralDifference = true
                    result.record(location, x, y)
                }
            }
        }
        return result
    }

    static func rows(_ bytes: [UInt8], _ delimiter: UnicodeScalar) -> [[String]]? {
        guard let text = String(bytes: bytes, encoding: .utf8),
            let reader = try? CSVReader(string: text, hasHeaderRow: false, delimiter: delimiter)
        else { return nil }
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        return reader.error == nil ? rows : nil
    }
}

/// NumPy `.npy` files (format versions 1–3) and raw little-endian `.f32`/`.f64` arrays, compared element-wise.
enum ArrayComparison {
    struct NumericArray {
        var shape: [Int]
        var fortranOrder: Bool
        var values: [Double]
    }

    static func compare(_ a: [UInt8], _ b: [UInt8], name: String) -> NumericComparison? {
        let width = name.hasSuffix(".f32") ? 4 : 8
        let isNPY = name.hasSuffix(".npy")
        guard let left = isNPY ? npy(a) : raw(a, width: width), let right = isNPY ? npy(b) : raw(b, width: width) else {
            return nil
        }
        var result = NumericComparison()
        guard left.shape == right.shape else {
            result.structuralDifference = true
            result.record("shape", shapeText(left.shape), shapeText(right.shape))
            return result
        }
        for i in 0..<left.values.count {
            result.number(index(i, shape: left.shape, fortran: left.fortranOrder), left.values[i], right.values[i])
        }
        return result
    }

    static func shapeText(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }

    /// The multi-index of the i-th stored element.
    static func index(_ flat: Int, shape: [Int], fortran: Bool) -> String {
        guard !shape.isEmpty else { return "[]" }
        var remainder = flat
        var index = [Int](repeating: 0, count: shape.count)
        let axes = fortran ? Array(shape.indices) : Array(shape.indices.reversed())
        for axis in axes {
            let size = max(shape[axis], 1)
            index[axis] = remainder % size
            remainder /= size
        }
        return "[" + index.map(String.init).joined(separator: ", ") + "]"
    }

    static func raw(_ bytes: [UInt8], width: Int) -> NumericArray? {
        guard bytes.count % width == 0 else { return nil }
        let values = decode(bytes[...], kind: "f", width: width, bigEndian: false)
        return values.map { NumericArray(shape: [$0.count], fortranOrder: false, values: $0) }
    }

    static func npy(_ bytes: [UInt8]) -> NumericArray? {
        guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else { return nil }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { return nil }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard bytes.count >= headerStart + headerLength,
            let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8),
            let descr = capture(header, #"'descr':\s*'([^']+)'"#),
            let order = capture(header, #"'fortran_order':\s*(True|False)"#),
            let shapeText = capture(header, #"'shape':\s*\(([^)]*)\)"#)
        else { return nil }
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let byteOrder = descr.first
        guard let kind = descr.dropFirst().first, let width = Int(descr.dropFirst(2)), "<>|=".contains(byteOrder ?? " ") else {
            return nil
        }
        let data = bytes[(headerStart + headerLength)...]
        guard let values = decode(data, kind: kind, width: width, bigEndian: byteOrder == ">"),
            values.count == shape.reduce(1, *)
        else { return nil }
        return NumericArray(shape: shape, fortranOrder: order == "True", values: values)
    }

    static func capture(_ text: String, _ pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    /// Numbers of one NumPy kind (`f` float, `i` signed, `u` unsigned, `b` bool) and byte width.
    static func decode(_ data: ArraySlice<UInt8>, kind: Character, width: Int, bigEndian: Bool) -> [Double]? {
        guard width > 0, data.count % width == 0 else { return nil }
        var values: [Double] = []
        values.reserveCapacity(data.count / width)
        var offset = data.startIndex
        while offset < data.endIndex {
            var bits: UInt64 = 0
            for k in 0..<width {
                let byte = UInt64(data[offset + (bigEndian ? width - 1 - k : k)])
                bits |= byte << (8 * UInt64(k))
            }
            offset += width
            switch (kind, width) {
            case ("f", 8): values.append(Double(bitPattern: bits))
            case ("f", 4): values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            case ("f", 2): values.append(Double(Float16Bits.float(UInt16(truncatingIfNeeded: bits))))
            case ("i", _):
                let shift = UInt64(64 - 8 * width)
                values.append(Double(Int64(bitPattern: bits << shift) >> Int64(shift)))
            case ("u", _), ("b", 1): values.append(Double(bits))
            default: return nil
            }
        }
        return values
    }
}

/// IEEE half-precision decoding without relying on `Float16` (unavailable on some platforms).
enum Float16Bits {
    static func float(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1f)
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            let value = Float(mantissa) * powf(2, -24)
            return sign == 0 ? value : -value
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

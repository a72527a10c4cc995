/// Quantiles by one documented definition: Hyndman–Fan type 7 (linear interpolation between order
/// statistics, `h = (n − 1)p`), the default of NumPy, R and Excel's PERCENTILE.INC.
public enum Quantile {
    /// The p-quantile of sorted values; nil for an empty input.
    public static func type7(sorted values: UnsafeBufferPointer<Double>, _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let h = Double(values.count - 1) * p
        let lower = Int(h.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        return values[lower] + (h - Double(lower)) * (values[upper] - values[lower])
    }

    public static func type7(sorted values: [Double], _ p: Double) -> Double? {
        values.withUnsafeBufferPointer { type7(sorted: $0, p) }
    }

    /// The p-quantile of unsorted values, reordering `buffer` in place: expected O(n) by selection,
    /// the bootstrap's hot path.
    public static func select(_ buffer: UnsafeMutableBufferPointer<Double>, _ p: Double) -> Double {
        let n = buffer.count
        let h = Double(n - 1) * p
        let lower = Int(h.rounded(.down))
        let low = nthElement(buffer, lower)
        guard lower + 1 < n, h > Double(lower) else { return low }
        // The next order statistic is the minimum of the part above `lower`.
        var next = buffer[lower + 1]
        for i in (lower + 2)..<n where buffer[i] < next { next = buffer[i] }
        return low + (h - Double(lower)) * (next - low)
    }

    /// Places the k-th smallest value at index k (Hoare-style quickselect, median-of-three pivots).
    static func nthElement(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        var left = 0
        var right = a.count - 1
        while right > left {
            let mid = left + (right - left) / 2
            if a[mid] < a[left] { a.swapAt(mid, left) }
            if a[right] < a[left] { a.swapAt(right, left) }
            if a[right] < a[mid] { a.swapAt(right, mid) }
            let pivot = a[mid]
            var i = left
            var j = right
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                right = j
            } else if k >= i {
                left = i
            } else {
                break
            }
        }
        return a[k]
    }
}

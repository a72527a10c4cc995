/// Results written from several threads at once, each slot by one thread only, read after they all finish
/// (`DispatchQueue.concurrentPerform`).
final class SharedSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value>

    init(count: Int, empty: Value) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: empty)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    subscript(index: Int) -> Value {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    var values: [Value] { Array(slots) }
}

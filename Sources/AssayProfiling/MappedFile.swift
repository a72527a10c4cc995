import Foundation

/// A file mapped read-only into memory for one front-to-back pass: pages the pass has left behind are handed
/// back (`release(upTo:)`), so reading a trace of any size keeps only a few megabytes of it resident.
final class MappedFile {
    let buffer: UnsafeBufferPointer<UInt8>
    private var released = 0
    private static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps the open file `fd` (whose size is `size`); nil when it cannot be mapped.
    init?(fd: Int32, size: Int) {
        guard size > 0 else {
            buffer = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else { return nil }
        _ = madvise(address, size, MADV_SEQUENTIAL)
        buffer = UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size)
    }

    /// Drops the resident pages before `offset` (whole pages only); reading them again would fault them back in.
    func release(upTo offset: Int) {
        guard let base = buffer.baseAddress else { return }
        let end = offset / Self.page * Self.page
        guard end > released else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + released), end - released, MADV_DONTNEED)
        released = end
    }

    deinit {
        if let base = buffer.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), buffer.count) }
    }
}

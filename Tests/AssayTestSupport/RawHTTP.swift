import Foundation

/// HTTP/1.1 over a plain socket to 127.0.0.1, for tests that must send what a polite client never would: any Host
/// header, any method, any bytes. One request per connection (`Connection: close`); bounded in time.
public enum RawHTTP {
    public struct Response: Sendable {
        public var status: Int
        /// Header names lowercased; the last value of a repeated name.
        public var headers: [String: String]
        public var body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A connected TCP socket to 127.0.0.1:`port` with send and receive timeouts.
    public static func connect(port: Int, timeoutSeconds: Int = 30) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return fd
    }

    /// Sends one request and reads the whole answer. `host` nil sends `127.0.0.1:port`; "" sends no Host header.
    public static func request(
        port: Int, _ path: String, method: String = "GET", host: String? = nil, headers: [String: String] = [:], body: Data = Data(),
        timeoutSeconds: Int = 60
    ) throws -> Response {
        let fd = try connect(port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let hostValue = host ?? "127.0.0.1:\(port)"
        if !hostValue.isEmpty { head += "Host: \(hostValue)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if (!body.isEmpty || method == "POST"), !headers.keys.contains(where: { $0.lowercased() == "content-length" }) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        do {
            try send(fd, Data(head.utf8) + body)
        } catch let failure as Failure {
            // The server may answer and close before reading the whole body (413): read what it said.
            guard let answer = try? readAnswer(fd, method: method, path: path) else {
                throw Failure(description: "\(method) \(path): \(failure.description)")
            }
            return answer
        }
        return try readAnswer(fd, method: method, path: path)
    }

    static func readAnswer(_ fd: Int32, method: String, path: String) throws -> Response {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { throw Failure(description: "\(method) \(path): read failed, errno \(errno) (after \(received.count) bytes)") }
            if count == 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return try parse(received, method: method, path: path)
    }

    static func send(_ fd: Int32, _ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw Failure(description: "send failed, errno \(errno)") }
                offset += sent
            }
        }
    }

    static func parse(_ data: Data, method: String, path: String) throws -> Response {
        guard let end = data.firstRange(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "\(method) \(path): no complete answer (\(data.count) bytes)")
        }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws -> Data {
        var output = Data()
        var index = data.startIndex
        while index < data.endIndex {
            guard let lineEnd = data[index...].firstRange(of: Data("\r\n".utf8)) else { break }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure(description: "bad chunk size") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard start + size <= data.endIndex else { throw Failure(description: "truncated chunk") }
            output.append(data[start..<start + size])
            index = start + size + 2
        }
        return output
    }
}

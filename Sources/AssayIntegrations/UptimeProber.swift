import AssayConfig
import AssayTelemetry
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Probes an endpoint once: `http(s)://…` by GET (up: any status below 400 within the timeout), `tcp://host:port`
/// by connecting.
public enum UptimeProber {
    public static func probe(_ target: Configuration.UptimeTarget, now: Date = Date()) async -> UptimeProbe {
        let name = target.name.replacingOccurrences(of: " ", with: "-")
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        if target.url.hasPrefix("tcp://") {
            let address = target.url.dropFirst("tcp://".count)
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                return UptimeProbe(time: now, target: name, up: false, latencyMilliseconds: nil, detail: "bad tcp:// address")
            }
            let host = String(address[..<colon])
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.milliseconds(Int64(target.timeoutSeconds * 1000)))
                    .connect(host: host, port: port).get()
                let latency = elapsed()
                try? await channel.close()
                return UptimeProbe(time: now, target: name, up: true, latencyMilliseconds: latency, detail: "connected")
            } catch {
                return UptimeProbe(time: now, target: name, up: false, latencyMilliseconds: nil, detail: "connect failed: \(error)".prefix(120).description)
            }
        }
        var request = HTTPClientRequest(url: target.url)
        request.method = .GET
        do {
            let response = try await HTTPClient.assay.execute(request, timeout: .milliseconds(Int64(target.timeoutSeconds * 1000)))
            _ = try? await response.body.collect(upTo: 1 << 20)
            let latency = elapsed()
            return UptimeProbe(
                time: now, target: name, up: response.status.code < 400, latencyMilliseconds: latency, detail: "HTTP \(response.status.code)")
        } catch {
            return UptimeProbe(time: now, target: name, up: false, latencyMilliseconds: nil, detail: "\(error)".prefix(120).description)
        }
    }
}

import AsyncHTTPClient

extension HTTPClient {
    /// The client every integration uses: `HTTPClient.shared`'s settings, except that a connection that cannot be
    /// made (refused, unreachable) fails the request at once, and answers come uncompressed. The shared client
    /// retries a connection until the request's deadline, so a scrape or probe of a host that is down took its whole
    /// timeout to say so; and it refuses gzip that inflates more than 25-fold, which Prometheus's answers about many
    /// alike hosts do. Every answer is bounded by size where it is read instead.
    static let assay: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

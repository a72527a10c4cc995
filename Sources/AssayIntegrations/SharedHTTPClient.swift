import AsyncHTTPClient

extension HTTPClient {
    /// The client every integration uses: `HTTPClient.shared`'s settings, except that a connection that cannot be
    /// made (refused, unreachable) fails the request at once. The shared client retries it until the request's
    /// deadline, so a scrape or probe of a host that is down took its whole timeout to say so.
    static let assay: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

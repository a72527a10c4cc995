import Foundation

/// The shipped OpenAPI document of the REST API.
public enum OpenAPI {
    public static func document() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else { throw CocoaError(.fileNoSuchFile) }
        return try String(contentsOf: url, encoding: .utf8)
    }
}

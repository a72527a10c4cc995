import Foundation

/// JSON encoders and decoders with the date format Assay writes everywhere: ISO 8601 in UTC, with
/// milliseconds only when the date has a fraction of a second. Built on `Date.ISO8601FormatStyle`, a value type, because the formatter behind Foundation's
/// `.iso8601` strategy is not safe to share between threads on Linux.
public enum JSONCoding {
    /// Sorted keys (same value, same bytes), ISO 8601 dates, no escaped slashes.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
            try container.encode(whole ? date.formatted(.iso8601) : date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    /// Reads the dates `encoder()` writes (and ISO 8601 with fractional seconds).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = isoDate(text) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 date, got '\(text)'")
        }
        return decoder
    }

    /// ISO 8601, with or without fractional seconds.
    public static func isoDate(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// A time as operators' files write it: ISO 8601, or epoch seconds or milliseconds (above 1e11) as a number.
    public static func timestamp(_ text: String) -> Date? {
        if let number = Double(text) { return epoch(number) }
        return isoDate(text)
    }

    /// Epoch seconds, or milliseconds when above 1e11; nil when not a positive finite number.
    public static func epoch(_ number: Double) -> Date? {
        guard number.isFinite, number > 0 else { return nil }
        return Date(timeIntervalSince1970: number > 1e11 ? number / 1000 : number)
    }
}

import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

@Suite struct PrometheusMatrixTests {
    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try TestFiles.fixture(name, in: .module)))
    }

    /// Real query_range answers from Prometheus 2.42 scraping node_exporter.
    @Test func realRangeAnswers() throws {
        let cpu = try PrometheusSeries.parse(try Self.fixture("prometheus_query_range__cpu_utilisation_rate1m.json"), source: "cpu")
        #expect(cpu.count == 1)
        #expect(cpu[0].host == "127.0.0.1:19100" && cpu[0].labels["job"] == "node")
        #expect(cpu[0].points.count > 10)
        #expect(cpu[0].points.map(\.time) == cpu[0].points.map(\.time).sorted())
        let p95 = try #require(cpu[0].p95)
        #expect(p95 > 0.99 && p95 <= 1)
        let memory = try PrometheusSeries.parse(try Self.fixture("prometheus_query_range__memavailable.json"), source: "memory")
        #expect(!memory.isEmpty && memory.allSatisfy { !$0.points.isEmpty })
    }

    @Test func errorAnswersAndOtherResultTypesAreClearErrors() throws {
        #expect(throws: TelemetryLogError.self) {
            try PrometheusSeries.parse(Data(#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#.utf8), source: "q")
        }
        #expect(throws: TelemetryLogError.self) {
            try PrometheusSeries.parse(Data(#"{"status":"success","data":{"resultType":"scalar","result":[1, "2"]}}"#.utf8), source: "q")
        }
        // An instant query's vector: one point per series.
        let vector = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"b"},"value":[5,"91.5"]}]}}"#
        #expect(try PrometheusSeries.parse(Data(vector.utf8), source: "q").first?.points.map(\.value) == [91.5])
        let nan = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance":"a"},"values":[[1,"NaN"],[2,"3.5"]]}]}}"#
        #expect(try PrometheusSeries.parse(Data(nan.utf8), source: "q").first?.points.map(\.value) == [3.5])
    }
}

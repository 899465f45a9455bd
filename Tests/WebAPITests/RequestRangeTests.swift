import ControlAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// Every number a request carries, fed values outside its range, huge, negative, not finite and of the wrong type:
/// each is refused with 400 naming the field, and none reaches the daemon (where `Duration.seconds(1e21)` traps).
struct RequestRangeTests {
    /// Hostile JSON values for a number field (JSON has no NaN or infinity; `1e21` is the tester's crash).
    static let hostileJSON = [
        "0", "-1", "-5", "1e21", "1e300", "-1e300", "9223372036854775807", "-9223372036854775808",
        "2592001", "86401", #""600""#, "true", "[]", "{}",
    ]

    /// The body fields that hold numbers, each with a route and the rest of a valid body.
    static let bodyFields: [(uri: String, field: String, otherFields: String)] = [
        ("/api/v1/alarms/gas-a1.concentration.HH/shelve", "seconds", #""reason":"sensor swap""#),
        ("/api/v1/interlocks/accident-pool-hh/bypass", "seconds", #""reason":"calibration""#),
    ]

    @Test func everyNumericBodyFieldIsRangeChecked() async throws {
        let t = try TestServer()
        try await t.test { client in
            for route in Self.bodyFields {
                for value in Self.hostileJSON {
                    // 86401 is a legal shelve and 2592001 a legal nothing: skip the values this field takes.
                    if route.uri.hasSuffix("/shelve") && value == "86401" { continue }
                    let body = "{\(route.otherFields),\"\(route.field)\":\(value)}"
                    let r = try await client.send(.post, route.uri, as: .admin, json: body)
                    #expect(r.status == .badRequest, "\(route.uri) \(body): \(r.status)")
                    #expect(r.error?.contains("\"\(route.field)\"") == true, "\(route.uri) \(body): \(r.text)")
                }
            }
        }
        #expect(t.backend.actions.isEmpty)
    }

    @Test func theCrashingShelveIsRefusedWithItsRange() async throws {
        let t = try TestServer()
        try await t.test { client in
            let r = try await client.send(
                .post, "/api/v1/alarms/gas-a1.concentration.HH/shelve", as: .operator,
                json: #"{"reason":"rt","seconds":1e21}"#)
            #expect(r.status == .badRequest)
            #expect(r.error == #"body: "seconds" 1e+21 is outside 1...2592000 seconds"#)
        }
        #expect(t.backend.actions.isEmpty)
    }

    /// Query parameters and headers that hold numbers, each with hostile spellings.
    static let queryCases: [(uri: String, header: String?, field: String)] = {
        let hostile = [
            "0", "-1", "1e21", "1e300", "-1e300", "inf", "-inf", "nan", "9223372036854775807",
            "99999999999999999999", "x", "1.5",
        ]
        var cases: [(String, String?, String)] = []
        for v in hostile where v != "1.5" {
            cases.append(("/api/v1/history?point=gas-a1.concentration&from=-1h&step=\(v)", nil, "step"))
        }
        for v in hostile where v != "1.5" {
            cases.append(("/api/v1/events?limit=\(v)", nil, "limit"))
        }
        for v in hostile {
            cases.append(("/api/v1/events?from=-\(v)d", nil, "from"))
            cases.append(("/api/v1/events?to=-\(v)h", nil, "to"))
        }
        return cases
    }()

    @Test func everyNumericQueryParameterIsRangeChecked() async throws {
        let t = try TestServer()
        try await t.test { client in
            for c in Self.queryCases {
                // The relative times take a fraction and zero; only the hostile ones are expected to fail.
                if c.field == "from" || c.field == "to",
                    c.uri.hasSuffix("-0d") || c.uri.hasSuffix("-0h") || c.uri.hasSuffix("-1.5d")
                        || c.uri.hasSuffix("-1.5h")
                {
                    continue
                }
                let r = try await client.send(.get, c.uri, as: .viewer)
                #expect(r.status == .badRequest, "\(c.uri): \(r.status) \(r.text)")
                #expect(r.error?.hasPrefix("\(c.field): ") == true, "\(c.uri): \(r.text)")
            }
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// The OpenAPI document: served without a token, valid JSON, and describing exactly the routes the router has,
/// each with the role the router enforces.
struct OpenAPITests {
    @Test func theDocumentListsEveryRouteWithItsRole() async throws {
        let t = try TestServer()
        let server = t.server
        try await t.test { client in
            let r = try await client.send(.get, "/openapi.json", as: nil)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            #expect(r.headers[.cacheControl] == "no-store")
            let document = try #require(r.json as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])

            var documented: Set<String> = []
            var roles: [String: String] = [:]
            for (path, operations) in paths {
                for (method, operation) in operations {
                    let key = "\(method.uppercased()) \(path)"
                    documented.insert(key)
                    roles[key] = (operation as? [String: Any])?["x-levee-role"] as? String
                }
            }
            let routed = Set(server.documentedRoutes.map { "\($0.method) \($0.path)" })
            #expect(documented == routed)
            #expect(routed.count == 25)
            for route in server.api.routes {
                #expect(roles["\(route.method.rawValue) \(route.path)"] == route.role.rawValue, "\(route.path)")
            }
            #expect(roles["GET /openapi.json"] == "none")
            #expect(roles["GET /api/v1/messages"] == "none")

            // Every schema the responses refer to is defined, and the named ones are there.
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            for name in [
                "SiteStatus", "AlarmEntry", "DefenceSummary", "DrillCheck", "StoredEvent", "Error", "Message",
                "MessageCatalogue",
            ] {
                #expect(schemas[name] != nil, "\(name)")
            }
            let references = Set(
                r.text.matches(of: /"#\/components\/schemas\/([A-Za-z]+)"/).map { String($0.output.1) })
            #expect(references.isSubset(of: Set(schemas.keys)))
            let security = try #require(
                (document["components"] as? [String: Any])?["securitySchemes"] as? [String: [String: Any]])
            #expect(security["bearer"]?["scheme"] as? String == "bearer")
        }
    }

    /// Every route answers something other than "no such endpoint" (so the table and the router agree), and each
    /// needs a token except the document itself.
    @Test func everyDocumentedRouteIsRoutedAndGuarded() async throws {
        let t = try TestServer()
        let routes = t.server.documentedRoutes
        try await t.test { client in
            for route in routes {
                let uri = route.path.replacingOccurrences(of: "{id}", with: "x")
                let r = try await client.execute(uri: uri, method: try #require(HTTPRequest.Method(route.method)))
                if route.path == "/openapi.json" || route.path == "/api/v1/messages" {
                    #expect(r.status == .ok)
                } else {
                    #expect(r.status == .unauthorized, "\(route.method) \(uri)")
                }
            }
        }
    }
}

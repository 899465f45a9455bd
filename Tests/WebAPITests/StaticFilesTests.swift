import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebAPI

/// The dashboard's files, Chart.js and the headers: served without a token, and nothing outside the folder.
struct StaticFilesTests {
    @Test func dashboardFilesWithTheirTypesAndHeaders() async throws {
        let t = try TestServer()
        try await t.test { client in
            for uri in ["/", "/index.html"] {
                let index = try await client.send(.get, uri, as: nil)
                #expect(index.status == .ok)
                #expect(index.text == "<!doctype html><title>Levee</title>")
                #expect(index.headers[.contentType] == "text/html; charset=utf-8")
                #expect(index.headers[.xContentTypeOptions] == "nosniff")
                #expect(index.headers[.init("X-Frame-Options")!] == "DENY")
                let policy = try #require(index.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'self'"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(!policy.contains("unsafe"))
            }
            let js = try await client.send(.get, "/js/app.js", as: nil)
            #expect(js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(js.text == "console.log('levee')")
            #expect(js.headers[.contentSecurityPolicy] == nil)
            #expect(js.headers[.xContentTypeOptions] == "nosniff")
            let css = try await client.send(.get, "/style.css", as: nil)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(try await client.send(.get, "/missing.html", as: nil).status == .notFound)
            #expect(try await client.send(.get, "/js", as: nil).status == .notFound)
        }
    }

    @Test(arguments: [
        "/../secret.txt", "/../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/etc/passwd", "/..%2fsecret.txt",
        "/js/..%2F..%2Fsecret.txt", "/js/%2e%2e/%2e%2e/secret.txt", "/escape.txt", "/.hidden", "/%00index.html",
        "/..\\secret.txt",
    ])
    func nothingOutsideTheDashboardIsServed(uri: String) async throws {
        let t = try TestServer("traversal\(abs(uri.hashValue))")
        try await t.test { client in
            let r = try await client.send(.get, uri, as: nil)
            #expect(r.status == .notFound, "\(uri)")
            #expect(!r.text.contains("top secret"))
            #expect(!r.text.contains("root:"))
        }
    }

    /// Without a dashboard folder of its own, the server serves the one bundled with WebAPI.
    @Test func theBundledDashboardAndDocumentAreFound() throws {
        let resources = try #require(StaticFiles.resourcesFolder())
        let files = StaticFiles(dashboard: nil, chartJS: nil)
        #expect(files.dashboard?.lastPathComponent == "dashboard")
        #expect(FileManager.default.fileExists(atPath: resources.appendingPathComponent("dashboard/index.html").path))
        let index = try files.dashboardResponse(path: "/")
        #expect(index.status == .ok)
        #expect(index.headers[.contentType] == "text/html; charset=utf-8")
        #expect(files.openAPI.map { FileManager.default.fileExists(atPath: $0.path) } == true)
    }

    @Test func componentsAreCheckedAfterDecoding() {
        #expect(StaticFiles.safeComponents("/") == [])
        #expect(StaticFiles.safeComponents("/js//app.js") == ["js", "app.js"])
        #expect(StaticFiles.safeComponents("/%E4%B8%AD.html") == ["中.html"])
        #expect(StaticFiles.safeComponents("/a/%2e%2e/b") == nil)
        #expect(StaticFiles.safeComponents("/a/.") == nil)
        #expect(StaticFiles.safeComponents("relative") == nil)
        #expect(StaticFiles.safeComponents("/bad%zz") == nil)
    }

    @Test func chartJSFromDebianOr404() async throws {
        let installed = FileManager.default.fileExists(atPath: "/usr/share/javascript/chart.js/chart.min.js")
        let t = try TestServer()
        try await t.test { client in
            let r = try await client.send(.get, "/vendor/chart.js", as: nil)
            if installed {
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(r.text.contains("Chart.js"))
            } else {
                #expect(r.status == .notFound)
            }
        }
        let missing = try TestServer("chartMissing", chartJS: URL(fileURLWithPath: "/nonexistent/chart.js"))
        try await missing.test { client in
            let r = try await client.send(.get, "/vendor/chart.js", as: nil)
            #expect(r.status == .notFound)
            #expect(r.error == "no such file: chart.js (install Debian's libjs-chart.js)")
        }
    }
}

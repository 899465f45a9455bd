import Foundation
import Hummingbird

/// The files served without a token: the dashboard, Chart.js, and the OpenAPI document.
///
/// A request path is percent-decoded, split into components, and refused if any is empty, `.` or `..`, holds a
/// backslash or a NUL, or starts with a dot; the file found must then still lie inside the dashboard folder once
/// symbolic links are resolved. Only regular files are served.
struct StaticFiles: Sendable {
    /// The dashboard folder; nil when it is not installed (every file is then 404).
    let dashboard: URL?
    /// The OpenAPI document.
    let openAPI: URL?
    let chartJS: URL?

    /// Where the Debian package installs WebAPI's resources (scripts/package.sh).
    static let installedResources = "/usr/share/levee/web"

    /// The folder WebAPI's resources were copied to: `Levee_WebAPI.resources/Resources` next to the executable,
    /// where `swift build` and `swift test` put it, else the package's `/usr/share/levee/web`.
    ///
    /// SwiftPM's `Bundle.module` looks beside the executable too, but traps when the bundle is missing; a daemon
    /// installed without its dashboard must still run its plant, so this looks without trapping and the files
    /// answer 404.
    static func resourcesFolder() -> URL? {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("Levee_WebAPI.resources/Resources"),
            URL(fileURLWithPath: installedResources),
        ]
        return candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("openapi.json").path)
        }
    }

    init(dashboard: URL?, chartJS: URL?) {
        let resources = Self.resourcesFolder()
        self.dashboard = (dashboard ?? resources?.appendingPathComponent("dashboard"))?.standardizedFileURL
        self.openAPI = resources?.appendingPathComponent("openapi.json")
        self.chartJS = chartJS
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "json": "application/json",
        "map": "application/json", "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "ico": "image/x-icon", "webp": "image/webp", "woff": "font/woff",
        "woff2": "font/woff2", "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "webmanifest": "application/manifest+json",
    ]

    /// A dashboard file for `path` (`/` is `index.html`).
    func dashboardResponse(path rawPath: String) throws(APIError) -> Response {
        guard let dashboard else { throw .notFound("the dashboard is not installed") }
        guard let components = Self.safeComponents(rawPath) else { throw .notFound("no such file: \(rawPath)") }
        let relative = components.isEmpty ? ["index.html"] : components
        let url = relative.reduce(dashboard) { $0.appendingPathComponent($1) }
        // Resolve links on both sides, so a link inside the folder pointing out of it is refused.
        let root = dashboard.resolvingSymlinksInPath().path
        let resolved = url.resolvingSymlinksInPath().path
        guard resolved.hasPrefix(root + "/") else { throw .notFound("no such file: \(rawPath)") }
        return try Self.file(at: URL(fileURLWithPath: resolved), name: rawPath)
    }

    /// The components of a URL path, or nil when one would leave the folder or name a hidden file.
    static func safeComponents(_ rawPath: String) -> [String]? {
        guard let decoded = rawPath.removingPercentEncoding else { return nil }
        var components: [String] = []
        for (i, part) in decoded.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if i == 0 {
                guard part.isEmpty else { return nil }
                continue
            }
            if part.isEmpty { continue }
            if part.hasPrefix(".") || part.contains("\\") || part.contains("\0") { return nil }
            components.append(String(part))
        }
        return components
    }

    /// A regular file's bytes with the content type of its extension.
    static func file(at url: URL, name: String, contentType: String? = nil) throws(APIError) -> Response {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: url.path)
        else { throw .notFound("no such file: \(name)") }
        let type = contentType ?? contentTypes[url.pathExtension.lowercased()] ?? "application/octet-stream"
        return Response(
            status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and validates a Levee configuration file.
///
/// The TOML document is parsed by TOMLKit and converted at once into a plain value tree; validation then runs on
/// that tree alone and collects every mistake before anything is returned, so a person fixing a file sees the whole
/// list at once. The keys are documented on the model types (`Site`, `Bus`, `Device`, `Point`, `Command`, ...).
public enum ConfigLoader {
    /// Reads and validates the file at `path`.
    ///
    /// - Throws: `ConfigErrors` listing every mistake; when the file cannot be read it holds one issue saying why
    ///   (use `read(path:)` and `parse(_:file:)` to tell the two apart).
    public static func load(path: String) throws(ConfigErrors) -> LeveeConfig {
        let text: String
        do {
            text = try read(path: path)
        } catch {
            throw ConfigErrors(file: baseName(path), issues: [ConfigIssue(keyPath: "", message: error.description)])
        }
        var config = try parse(text, file: path)
        resolvePaths(&config, file: path)
        return config
    }

    /// Makes the relative paths in `config` (the database, the socket, secret and certificate files) relative to
    /// the folder of `file`, the configuration file they were read from.
    public static func resolvePaths(_ config: inout LeveeConfig, file: String) {
        // Relative paths in the file mean "next to this file", not "wherever the daemon was started from".
        let folder = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : (folder.isEmpty ? "/" : folder) + "/" + p }
        config.historian.path = resolve(config.historian.path)
        config.daemon.controlSocket = resolve(config.daemon.controlSocket)
        config.dcs.lockFile = config.dcs.lockFile.map(resolve)
        if var mqtt = config.mqtt {
            mqtt.passwordFile = mqtt.passwordFile.map(resolve)
            mqtt.tlsCAFile = mqtt.tlsCAFile.map(resolve)
            mqtt.tlsCertFile = mqtt.tlsCertFile.map(resolve)
            mqtt.tlsKeyFile = mqtt.tlsKeyFile.map(resolve)
            for i in mqtt.parks.indices {
                mqtt.parks[i].keyFile = resolve(mqtt.parks[i].keyFile)
                mqtt.parks[i].previousKeyFile = mqtt.parks[i].previousKeyFile.map(resolve)
            }
            config.mqtt = mqtt
        }
        if var park = config.park {
            for i in park.plants.indices { park.plants[i].keyFile = resolve(park.plants[i].keyFile) }
            config.park = park
        }
    }

    /// Validates TOML text.
    ///
    /// - Parameters:
    ///   - text: the document.
    ///   - file: the file name or path it came from; messages start with its base name.
    /// - Throws: `ConfigErrors` listing every mistake, or the one TOML syntax error with its line and column.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> LeveeConfig {
        let name = baseName(file)
        let root: [String: TOMLNode]
        do {
            root = try TOMLNode.parse(text)
        } catch {
            throw ConfigErrors(file: name, issues: [error.issue])
        }
        var validator = ConfigValidator()
        let config = validator.validate(root, busOrder: busOrder(in: text))
        guard let config, validator.issues.isEmpty else {
            throw ConfigErrors(file: name, issues: validator.issues)
        }
        return config
    }

    /// The whole file as UTF-8 text.
    ///
    /// - Throws: `ConfigReadError` with the `errno` of the failing call (no such file, permission denied, a
    ///   directory), or code 0 when the bytes are not valid UTF-8.
    public static func read(path: String) throws(ConfigReadError) -> String {
        guard let file = fopen(path, "rb") else {
            throw readError(path, errno)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: buffer[0..<count])
            if count < buffer.count {
                // fread returns short at end of file or on error; only ferror tells which. Reading a directory
                // fails here with EISDIR, after fopen succeeded.
                if ferror(file) != 0 { throw readError(path, errno) }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigReadError(path: path, code: 0, reason: "the file is not valid UTF-8")
        }
        return text
    }

    private static func readError(_ path: String, _ code: Int32) -> ConfigReadError {
        ConfigReadError(path: path, code: code, reason: String(cString: strerror(code)))
    }

    /// The last path component, as messages name the file (`/etc/levee/levee.toml` is `levee.toml`).
    static func baseName(_ path: String) -> String {
        let last = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init)
        return last ?? path
    }
}

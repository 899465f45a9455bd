extension ConfigValidator {
    /// `[http]`: `enabled`, `listen`, `login_failures`, `login_window_s`, `max_history_points`; all optional.
    mutating func validateHTTP(_ t: ConfigTable) -> HTTPSettings {
        checkKeys(t, allowed: ["enabled", "listen", "login_failures", "login_window_s", "max_history_points"])
        var settings = HTTPSettings()
        if let enabled = boolean(t, "enabled") { settings.enabled = enabled }
        if let listen = string(t, "listen"), let (host, port) = hostAndPort(listen, at: t.path.appending("listen")) {
            settings.host = host
            settings.port = port
        }
        if let n = integer(t, "login_failures", in: 1...1000) { settings.loginFailures = n }
        if let s = integer(t, "login_window_s", in: 1...3600) { settings.loginWindowSeconds = s }
        if let n = integer(t, "max_history_points", in: 1000...10_000_000) { settings.maxHistoryPoints = n }
        return settings
    }

    /// `listen = "host:port"`: a host name or address (an IPv6 one in brackets, `[::1]:8080`) and a port in
    /// 1...65535.
    mutating func hostAndPort(_ listen: String, at path: KeyPath) -> (String, Int)? {
        let rule = "must be \"host:port\", such as \"127.0.0.1:8080\" or \"[::1]:8080\""
        let host: Substring
        let portText: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]"), listen[close...].hasPrefix("]:") else {
                report(path, "\(quoted(listen)) \(rule)")
                return nil
            }
            host = listen[listen.index(after: listen.startIndex)..<close]
            portText = listen[listen.index(close, offsetBy: 2)...]
        } else {
            guard let colon = listen.lastIndex(of: ":"), !listen[..<colon].contains(":") else {
                report(path, "\(quoted(listen)) \(rule)")
                return nil
            }
            host = listen[..<colon]
            portText = listen[listen.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            report(path, "\(quoted(listen)) \(rule)")
            return nil
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
            let port = Int(portText), (1...65535).contains(port)
        else {
            report(path, "\(quoted(listen)): port \(quoted(String(portText))) is outside 1...65535")
            return nil
        }
        return (String(host), port)
    }

    /// `[[users]]`: `name` (unique), `role`, `token_sha256` (unique), all required.
    mutating func validateUsers(_ top: ConfigTable) -> [User] {
        guard let items = arrayOfTables(top, "users") else { return [] }
        var users: [User] = []
        var firstIndexByName: [String: Int] = [:]
        var firstIndexByHash: [String: Int] = [:]
        for (i, t) in items {
            let before = issues.count
            checkKeys(t, allowed: ["name", "role", "token_sha256"])
            let name = identifier(t, "name", required: true)
            if let name {
                if let first = firstIndexByName[name] {
                    report(t.path.appending("name"), "\(quoted(name)) is already used by users[\(first)]")
                } else {
                    firstIndexByName[name] = i
                }
            }
            let role = choice(t, "role", User.Role.self, required: true)
            let hash = tokenHash(t, "token_sha256")
            if let hash {
                if let first = firstIndexByHash[hash] {
                    // Two users with one token could not be told apart, and the journal would name the wrong one.
                    report(t.path.appending("token_sha256"), "is the same token as users[\(first)]'s")
                } else {
                    firstIndexByHash[hash] = i
                }
            }
            if let name, let role, let hash, issues.count == before {
                users.append(User(name: name, role: role, tokenSHA256: hash))
            }
        }
        return users
    }

    /// The SHA-256 of the empty string: what `printf %s "$TOKEN" | sha256sum` prints when `TOKEN` is unset.
    static let emptyTokenHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// A token's SHA-256 as `sha256sum` prints it: 64 lowercase hex digits.
    private mutating func tokenHash(_ t: ConfigTable, _ key: String) -> String? {
        guard let s = string(t, key, required: true) else { return nil }
        let isHex = s.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
        guard s.utf8.count == 64, isHex else {
            let what =
                s.utf8.count == 64 && s.lowercased() != s ? "uses upper-case letters; it" : "is not a SHA-256; it"
            report(
                t.path.appending(key),
                "\(what) must be 64 lowercase hex digits, the SHA-256 of the token (printf %s \"$TOKEN\" | sha256sum)"
            )
            return nil
        }
        guard s != Self.emptyTokenHash else {
            report(t.path.appending(key), "is the SHA-256 of an empty token (was $TOKEN set when it was made?)")
            return nil
        }
        return s
    }
}

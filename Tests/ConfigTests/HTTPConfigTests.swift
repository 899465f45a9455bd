import Testing

@testable import Config

/// `[http]` and `[[users]]`: the defaults, what a valid file gives, and the line a person reads for each mistake.
struct HTTPConfigTests {
    /// `printf %s "operator-token" | sha256sum`, and two more.
    static let operatorHash = "0850123315d21ab90f4f7236408a52ef6dbd6a02a6550e5c10dc73f4d993680e"
    static let viewerHash = String(repeating: "a", count: 64)
    static let adminHash = String(repeating: "0123456789abcdef", count: 4)

    static func document(_ extra: String) -> String {
        Fixture.config(Fixture.valve) + "\n" + extra
    }

    @Test func noTableAndAnEmptyTableMeanTheDefaults() throws {
        for text in [Fixture.config(Fixture.valve), Self.document("[http]\n")] {
            let config = try ConfigLoader.parse(text, file: "levee.toml")
            #expect(config.http == HTTPSettings())
            #expect(config.http.enabled)
            #expect(config.http.host == "127.0.0.1")
            #expect(config.http.port == 8080)
            #expect(config.http.listen == "127.0.0.1:8080")
            #expect(config.http.loginFailures == 5)
            #expect(config.http.loginWindowSeconds == 60)
            #expect(config.http.maxHistoryPoints == 100_000)
            #expect(config.users.isEmpty)
        }
    }

    @Test func everyKeyIsRead() throws {
        let text = Self.document(
            """
            [http]
            enabled = false
            listen = "0.0.0.0:8443"
            login_failures = 3
            login_window_s = 300
            max_history_points = 5000

            [[users]]
            name = "control-room"
            role = "operator"
            token_sha256 = "\(Self.operatorHash)"

            [[users]]
            name = "eco-bureau"
            role = "viewer"
            token_sha256 = "\(Self.viewerHash)"

            [[users]]
            name = "safety-engineer"
            role = "admin"
            token_sha256 = "\(Self.adminHash)"
            """)
        let config = try ConfigLoader.parse(text, file: "levee.toml")
        #expect(
            config.http
                == HTTPSettings(
                    enabled: false, host: "0.0.0.0", port: 8443, loginFailures: 3, loginWindowSeconds: 300,
                    maxHistoryPoints: 5000))
        #expect(
            config.users == [
                User(name: "control-room", role: .operator, tokenSHA256: Self.operatorHash),
                User(name: "eco-bureau", role: .viewer, tokenSHA256: Self.viewerHash),
                User(name: "safety-engineer", role: .admin, tokenSHA256: Self.adminHash),
            ])
    }

    @Test(arguments: [
        ("[::1]:8080", "::1", 8080),
        ("localhost:1", "localhost", 1),
        ("10.0.0.5:65535", "10.0.0.5", 65535),
    ])
    func listenTakesHostsAndIPv6InBrackets(listen: String, host: String, port: Int) throws {
        let config = try ConfigLoader.parse(Self.document("[http]\nlisten = \"\(listen)\"\n"), file: "levee.toml")
        #expect(config.http.host == host)
        #expect(config.http.port == port)
        #expect(config.http.listen == listen)
    }

    @Test func theShippedExampleDocumentsBothSections() throws {
        let config = try ConfigLoader.load(path: ConfigLoaderTests.exampleURL.path)
        #expect(config.http == HTTPSettings())
        #expect(config.users.map(\.name) == ["control-room", "eco-bureau", "safety-engineer"])
        #expect(config.users.map(\.role) == [.operator, .viewer, .admin])
    }

    @Test func rolesAreOrderedByPower() {
        #expect(User.Role.viewer < .operator)
        #expect(User.Role.operator < .admin)
        #expect(User.Role.allCases.sorted() == [.viewer, .operator, .admin])
        #expect(User.Role.allCases.max() == .admin)
    }

    @Test func httpMistakesNameTheirKeys() {
        let text = Self.document(
            """
            [http]
            enabled = "yes"
            listen = "8080"
            login_failures = 0
            login_window_s = 7200
            max_history_points = 10
            login_failure = 3
            """)
        #expect(
            Fixture.issues(text) == [
                #"levee.toml: http: unknown key "login_failure" (did you mean "login_failures"?)"#,
                "levee.toml: http.enabled must be true or false, got string",
                #"levee.toml: http.listen "8080" must be "host:port", such as "127.0.0.1:8080" or "[::1]:8080""#,
                "levee.toml: http.login_failures 0 is outside 1...1000",
                "levee.toml: http.login_window_s 7200 is outside 1...3600",
                "levee.toml: http.max_history_points 10 is outside 1000...10000000",
            ])
    }

    @Test(arguments: [
        ("127.0.0.1:0", #"levee.toml: http.listen "127.0.0.1:0": port "0" is outside 1...65535"#),
        ("127.0.0.1:70000", #"levee.toml: http.listen "127.0.0.1:70000": port "70000" is outside 1...65535"#),
        ("127.0.0.1:", #"levee.toml: http.listen "127.0.0.1:": port "" is outside 1...65535"#),
        (":8080", #"levee.toml: http.listen ":8080" must be "host:port", such as "127.0.0.1:8080" or "[::1]:8080""#),
        (
            "::1:8080",
            #"levee.toml: http.listen "::1:8080" must be "host:port", such as "127.0.0.1:8080" or "[::1]:8080""#
        ),
        (
            "[::1]8080",
            #"levee.toml: http.listen "[::1]8080" must be "host:port", such as "127.0.0.1:8080" or "[::1]:8080""#
        ),
    ])
    func badListenAddressesAreRefused(listen: String, issue: String) {
        #expect(Fixture.issues(Self.document("[http]\nlisten = \"\(listen)\"\n")) == [issue])
    }

    @Test func userMistakesNameTheirKeys() {
        let text = Self.document(
            """
            [[users]]
            name = "control room"
            role = "operater"
            token_sha256 = "\(Self.operatorHash.uppercased())"

            [[users]]
            name = "bureau"
            role = "viewer"
            token_sha256 = "abc123"
            token = "secret"

            [[users]]
            name = "bureau"
            role = "admin"
            token_sha256 = "\(Self.adminHash)"

            [[users]]
            name = "night-shift"
            role = "operator"
            token_sha256 = "\(Self.adminHash)"

            [[users]]
            name = "nobody"
            role = "viewer"
            token_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

            [[users]]
            name = "no-token"
            """)
        let rule = #"must be 64 lowercase hex digits, the SHA-256 of the token (printf %s "$TOKEN" | sha256sum)"#
        #expect(
            Fixture.issues(text) == [
                #"levee.toml: users[0].name "control room" must match [A-Za-z0-9_-]+"#,
                #"levee.toml: users[0].role "operater" must be one of viewer, operator, admin (did you mean "operator"?)"#,
                "levee.toml: users[0].token_sha256 uses upper-case letters; it \(rule)",
                #"levee.toml: users[1]: unknown key "token" (did you mean "token_sha256"?)"#,
                "levee.toml: users[1].token_sha256 is not a SHA-256; it \(rule)",
                #"levee.toml: users[2].name "bureau" is already used by users[1]"#,
                "levee.toml: users[3].token_sha256 is the same token as users[2]'s",
                "levee.toml: users[4].token_sha256 is the SHA-256 of an empty token (was $TOKEN set when it was made?)",
                "levee.toml: users[5].role is required",
                "levee.toml: users[5].token_sha256 is required",
            ])
    }

    @Test func usersMustBeAnArrayOfTables() {
        #expect(
            Fixture.issues("users = \"admin\"\n" + Fixture.config(Fixture.valve)).contains(
                "levee.toml: users must be an array of tables ([[users]]), got string"))
    }
}

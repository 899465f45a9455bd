import Digest
import Testing

@testable import WebAPI

/// Bearer tokens and the users' table.
struct AuthenticatorTests {
    @Test func bearerTokensAreTakenFromTheHeader() {
        #expect(Authenticator.bearerToken("Bearer abc") == "abc")
        #expect(Authenticator.bearerToken("bearer  abc ") == "abc")
        #expect(Authenticator.bearerToken("Basic YWJjOmRlZg==") == nil)
        #expect(Authenticator.bearerToken("Bearer ") == nil)
        #expect(Authenticator.bearerToken("abc") == nil)
    }

    @Test func aBadHashOrATwiceUsedNameIsAConfigurationError() {
        #expect(throws: WebServerConfigurationError.self) {
            try Authenticator(users: [APIUser(name: "a", role: .viewer, tokenSHA256: "abc")])
        }
        let hash = String(repeating: "a", count: 64)
        #expect(throws: WebServerConfigurationError.self) {
            try Authenticator(users: [
                APIUser(name: "a", role: .viewer, tokenSHA256: hash),
                APIUser(name: "a", role: .admin, tokenSHA256: hash),
            ])
        }
    }
}

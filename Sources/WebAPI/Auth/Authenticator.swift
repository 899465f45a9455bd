import Digest
import Foundation

/// Finds the account a bearer token belongs to, comparing SHA-256 hashes in constant time.
///
/// Every account's hash is compared on every attempt, with no early exit, so neither the time taken nor the answer
/// tells whether a name exists or how close a guess came.
struct Authenticator: Sendable {
    struct Account: Sendable {
        var user: APIUser
        var hash: [UInt8]
    }

    let accounts: [Account]

    /// - Throws: a configuration error naming the first user whose hash is not 64 hex digits, or a name used twice.
    init(users: [APIUser]) throws(WebServerConfigurationError) {
        var accounts: [Account] = []
        for user in users {
            guard let hash = SHA256.bytes(hex: user.tokenSHA256) else {
                throw WebServerConfigurationError(
                    description: "user \"\(user.name)\": token_sha256 is not 64 hex digits")
            }
            if accounts.contains(where: { $0.user.name == user.name }) {
                throw WebServerConfigurationError(description: "user \"\(user.name)\" is listed twice")
            }
            accounts.append(Account(user: user, hash: hash))
        }
        self.accounts = accounts
    }

    /// The account whose token this is, or nil.
    func user(forToken token: Substring) -> APIUser? {
        let presented = SHA256.hash(token.utf8)
        var found: APIUser?
        for account in accounts where constantTimeEqual(account.hash, presented) {
            found = account.user
        }
        return found
    }

    /// The token in an `Authorization: Bearer <token>` header (RFC 6750), or nil when the header is another scheme
    /// or empty.
    static func bearerToken(_ header: String) -> Substring? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : Substring(token)
    }
}

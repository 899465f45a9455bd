import Foundation
import Hummingbird
import Messages

/// The message catalogue for the dashboard.
///
/// The API sends every server text as a message id with its arguments (`text`, `summaryText`, `nextAction`) beside
/// its English rendering (`message`, `summary`), and the page renders them in the language it shows, from this
/// catalogue. Rendering per request instead would not fit the live streams, which every viewer shares, nor a page
/// that switches language without reloading its data.
extension API {
    /// `GET /api/v1/messages?lang=zh-CN|en`: every template of the language, by message id. Without `lang`, the
    /// request's Accept-Language picks; Chinese unless it names another language.
    static func messages(_ request: Request) throws -> Response {
        let asked = request.uri.queryParameters.get("lang")
        let language: Language
        if let asked, !asked.isEmpty {
            guard let l = Language(rawValue: asked) ?? Language(tag: asked) else {
                throw APIError.badRequest("lang: \"\(asked)\" is not a language; use zh-CN or en")
            }
            language = l
        } else {
            language = Language(tag: request.headers[.acceptLanguage]) ?? .zhCN
        }
        return try json(MessagesPayload(language: language.rawValue, messages: MessageCatalogue.templates(language)))
    }
}

/// The catalogue of one language as `/api/v1/messages` sends it.
struct MessagesPayload: Encodable, Sendable {
    var language: String
    /// Template by message id: `{name}` takes an argument, `{name|one|other}` picks by whether it is "1".
    var messages: [String: String]
}

import Hummingbird

extension API {
    /// Every API endpoint, in the order the OpenAPI document lists them.
    var routes: [Route] {
        readRoutes + [Route(method: .get, path: "/api/v1/stream", role: .viewer, handler: stream)] + actionRoutes
            + controlRoutes
    }

    /// The endpoints that need no token: the OpenAPI document, and the message catalogue (words, no plant data: the
    /// dashboard needs them before anyone has logged in). (The dashboard's files need none either; they are not
    /// part of the API.)
    static let publicRoutes: [(method: HTTPRequest.Method, path: String)] = [
        (.get, "/openapi.json"), (.get, "/api/v1/messages"),
    ]
}

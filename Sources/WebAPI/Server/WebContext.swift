import Hummingbird

/// The request context: Hummingbird's core storage plus the client's address (for the login limiter and the
/// journal) and a way to drop the connection (for a live stream whose client stopped reading).
struct WebContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address, or "unknown" when the channel has none (router tests).
    let remoteAddress: String
    /// Closes the connection at once; a write waiting on it fails.
    let closeConnection: @Sendable () -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        remoteAddress = channel.remoteAddress?.ipAddress ?? "unknown"
        closeConnection = { channel.close(promise: nil) }
    }

    /// Request bodies are small JSON objects; anything larger is refused with 413.
    var maxUploadSize: Int { WebServer.maximumBodySize }
}

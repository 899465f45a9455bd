import Foundation

/// Whether a leveed plays the plant or the park: a park instance publishes its own gates and sluices like a plant.
public enum SiteRole: String, Codable, Sendable, Hashable, CaseIterable {
    case plant
    case park
}

/// `<prefix>/<site>/online`, retained: whether the site is connected. The offline form, with `will`, is registered
/// as the last will, so the broker publishes it when the site's connection dies.
public struct OnlinePayload: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable {
        case online
        case offline
    }

    public var version: Int
    public var site: String
    public var state: State
    /// For `online` and a clean `offline`: when it was sent. For the last will: when the connection that registered
    /// it was made, since the broker sends it unchanged; the reader's own clock tells when it arrived.
    public var at: Date
    /// Present and true only on the last will: the broker, not the site, reported it gone.
    public var will: Bool?

    public init(site: String, state: State, at: Date, will: Bool? = nil) {
        self.version = ParkJSON.version
        self.site = site
        self.state = state
        self.at = at
        self.will = will
    }

    enum CodingKeys: String, CodingKey {
        case version = "v"
        case site, state, at, will
    }
}

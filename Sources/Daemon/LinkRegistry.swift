import ControlAPI
import Synchronization

/// The services of the links beyond the plant, for the control handler's status and park requests. They are made
/// after the handler (they call it), so they are registered here once built.
final class LinkRegistry: Sendable {
    private let services = Mutex<(mqtt: MQTTService?, park: ParkService?, uplink: UplinkService?)>((nil, nil, nil))

    private let dcsService = Mutex<DCSService?>(nil)

    var park: ParkService? { services.withLock { $0.park } }

    func register(dcs: DCSService?) { dcsService.withLock { $0 = dcs } }

    /// Nil when `[dcs]` is not enabled.
    func dcsSummary() -> DCSLinkSummary? { dcsService.withLock { $0 }?.summary() }

    func register(mqtt: MQTTService?, park: ParkService?, uplink: UplinkService?) {
        services.withLock { $0 = (mqtt, park, uplink) }
    }

    /// Nil when the plant has no link configured.
    func summary() -> LinksSummary? {
        let (mqtt, _, uplink) = services.withLock { $0 }
        guard mqtt != nil || uplink != nil else { return nil }
        return LinksSummary(mqtt: mqtt?.summary(), uplink: uplink?.summary())
    }
}

import Glibc
import ModbusWire

extension ConfigValidator {
    /// The device slots a `dcs_address` may name: 0...499 (see `DCSLayout` in DCSLink).
    public static let dcsDeviceSlots = 0...499

    /// `[dcs]`: see `DCSSettings`. `plans` are the plan ids the file defines, for `shutoff_coils`.
    mutating func validateDCS(_ t: ConfigTable, plans: [String]) -> DCSSettings {
        checkKeys(
            t,
            allowed: [
                "enabled", "listen", "allow", "unit_id", "word_order", "int_scale", "update_ms", "max_clients",
                "idle_timeout_s", "frame_timeout_ms", "lock_file", "shutoff_coils", "reset_coil", "ack_coil",
                "write_hold_ms",
            ])
        var s = DCSSettings()
        if let b = boolean(t, "enabled") { s.enabled = b }
        if let listen = string(t, "listen"), let (host, port) = hostAndPort(listen, at: t.path.appending("listen")) {
            s.host = host
            s.port = port
        }
        if let items = array(t, "allow") {
            var allow: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let address) = item, Self.isIPAddress(address) else {
                    report(
                        t.path.appending("allow").indexed(i),
                        "must be an IPv4 or IPv6 address such as \"10.0.0.5\" (no names, no masks)")
                    continue
                }
                allow.append(address)
            }
            s.allow = allow
        }
        if let n = integer(t, "unit_id", in: 1...247) { s.unitID = n }
        if let order = choice(t, "word_order", WordOrder.self) { s.wordOrder = order }
        if let n = integer(t, "int_scale", in: 1...10000) { s.intScale = n }
        if let n = integer(t, "update_ms", in: 50...10000) { s.updateMs = n }
        if let n = integer(t, "max_clients", in: 1...64) { s.maxClients = n }
        if let n = integer(t, "idle_timeout_s", in: 1...3600) { s.idleTimeoutSeconds = n }
        if let n = integer(t, "frame_timeout_ms", in: 100...60000) { s.frameTimeoutMs = n }
        if let path = nonEmptyString(t, "lock_file") { s.lockFile = path }
        if let items = array(t, "shutoff_coils") {
            var seen: Set<String> = []
            for (i, item) in items.enumerated() {
                let path = t.path.appending("shutoff_coils").indexed(i)
                guard case .string(let plan) = item else {
                    report(path, "must be a plan id as a string")
                    continue
                }
                guard plans.contains(plan) else {
                    report(
                        path,
                        "\(quoted(plan)) is not a plan (plans: \(plans.joined(separator: ", ")))"
                            + Suggestion.hint(for: plan, in: plans))
                    continue
                }
                if seen.insert(plan).inserted { s.shutoffCoils.append(plan) } else { report(path, "is listed twice") }
            }
        }
        if let b = boolean(t, "reset_coil") { s.resetCoil = b }
        if let b = boolean(t, "ack_coil") { s.ackCoil = b }
        if let n = integer(t, "write_hold_ms", in: 100...10000) { s.writeHoldMs = n }
        return s
    }

    /// A numeric IPv4 or IPv6 address, as `inet_pton` reads it.
    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}

extension ConfigValidator {
    /// No two devices may claim one `dcs_address`: the DCS would read one device's values as the other's.
    mutating func checkDCSAddresses(_ devices: [Device]) {
        var owner: [Int: String] = [:]
        for (i, device) in devices.enumerated() {
            guard let slot = device.dcsAddress else { continue }
            if let first = owner[slot] {
                report(
                    KeyPath(owner: "devices[\(i)] \(quoted(device.id))", keys: ["dcs_address"]),
                    "\(slot) is already the dcs_address of \(quoted(first))")
            } else {
                owner[slot] = device.id
            }
        }
    }
}

extension ConfigValidator {
    /// `[historian]`: `path`, `heartbeat_s`, `buffer_limit`, `retention_days`; all optional.
    mutating func validateHistorian(_ t: ConfigTable) -> HistorianSettings {
        checkKeys(t, allowed: ["path", "heartbeat_s", "buffer_limit", "retention_days"])
        var settings = HistorianSettings()
        if let path = nonEmptyString(t, "path") { settings.path = path }
        if let heartbeat = positiveNumber(t, "heartbeat_s", atMost: 86400) {
            if heartbeat < 1 {
                report(t.path.appending("heartbeat_s"), "\(formatted(heartbeat)) must be >= 1")
            } else {
                settings.heartbeatSeconds = heartbeat
            }
        }
        if let limit = integer(t, "buffer_limit", in: 1000...10_000_000) { settings.bufferLimit = limit }
        if let retention = table(t, "retention_days") {
            checkKeys(retention, allowed: ["readings", "events", "commands"])
            if let d = integer(retention, "readings", in: 1...36500) { settings.retentionDays.readings = d }
            if let d = integer(retention, "events", in: 1...36500) { settings.retentionDays.events = d }
            if let d = integer(retention, "commands", in: 1...36500) { settings.retentionDays.commands = d }
        }
        return settings
    }

    /// `[daemon]`: `control_socket`; optional.
    mutating func validateDaemon(_ t: ConfigTable) -> DaemonSettings {
        checkKeys(t, allowed: ["control_socket"])
        var settings = DaemonSettings()
        if let socket = nonEmptyString(t, "control_socket") {
            // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
            if socket.utf8.count > 107 {
                report(
                    t.path.appending("control_socket"), "is \(socket.utf8.count) bytes; a socket path is at most 107")
            } else {
                settings.controlSocket = socket
            }
        }
        return settings
    }
}

import HJ212

extension ConfigValidator {
    /// `[mqtt]`: `broker` is required; the rest is optional.
    mutating func validateMQTT(_ t: ConfigTable) -> MQTTSettings? {
        checkKeys(
            t,
            allowed: [
                "broker", "client_id", "username", "password_file", "tls_ca_file", "tls_cert_file", "tls_key_file",
                "tls_insecure", "protocol", "keepalive_s", "topic_prefix", "publish_interval_s", "refresh_s",
                "outbox_limit", "accept_commands", "max_clock_skew_s", "parks",
            ])
        let before = issues.count
        var s = MQTTSettings()
        if let broker = string(t, "broker", required: true),
            let (host, port) = hostAndPort(broker, at: t.path.appending("broker"))
        {
            s.host = host
            s.port = port
        }
        s.clientID = topicWord(t, "client_id", limit: 128)
        s.username = nonEmptyString(t, "username")
        s.passwordFile = nonEmptyString(t, "password_file")
        if s.passwordFile != nil, s.username == nil {
            report(t.path.appending("password_file"), "needs a username to go with it")
        }
        s.tlsCAFile = nonEmptyString(t, "tls_ca_file")
        s.tlsCertFile = nonEmptyString(t, "tls_cert_file")
        s.tlsKeyFile = nonEmptyString(t, "tls_key_file")
        if (s.tlsCertFile == nil) != (s.tlsKeyFile == nil) {
            reportTable(t.path, "tls_cert_file and tls_key_file go together: give both or neither")
        }
        if s.tlsCertFile != nil, s.tlsCAFile == nil {
            report(t.path.appending("tls_cert_file"), "needs tls_ca_file: a client certificate is only sent over TLS")
        }
        if let insecure = boolean(t, "tls_insecure") { s.tlsInsecure = insecure }
        if let version = choice(t, "protocol", among: ["3.1.1", "5"]) { s.protocolVersion = version }
        if let k = integer(t, "keepalive_s", in: 5...3600) { s.keepAliveSeconds = k }
        if let prefix = topicPrefix(t, "topic_prefix") { s.topicPrefix = prefix }
        if let i = number(t, "publish_interval_s", in: 0.2...60) { s.publishIntervalSeconds = i }
        if let r = number(t, "refresh_s", in: 10...86400) { s.refreshSeconds = r }
        if let n = integer(t, "outbox_limit", in: 100...1_000_000) { s.outboxLimit = n }
        if let accept = boolean(t, "accept_commands") { s.acceptCommands = accept }
        if let skew = integer(t, "max_clock_skew_s", in: 5...600) { s.maxClockSkewSeconds = skew }
        s.parks = validateParkPeers(t)
        if s.acceptCommands, s.parks.isEmpty, issues.count == before {
            report(t.path.appending("accept_commands"), "is true but no [[mqtt.parks]] is allowed to send commands")
        }
        return issues.count == before ? s : nil
    }

    /// `[[mqtt.parks]]`: `id` and `key_file` required, `previous_key_file` and `allow` optional.
    private mutating func validateParkPeers(_ t: ConfigTable) -> [ParkPeer] {
        guard let items = arrayOfTables(t, "parks") else { return [] }
        var peers: [ParkPeer] = []
        var seen: [String: Int] = [:]
        for (i, p) in items {
            let before = issues.count
            checkKeys(p, allowed: ["id", "key_file", "previous_key_file", "allow"])
            let id = identifier(p, "id", required: true)
            if let id {
                if let first = seen[id] {
                    report(p.path.appending("id"), "\(quoted(id)) is already listed at mqtt.parks[\(first)]")
                } else {
                    seen[id] = i
                }
            }
            let keyFile = nonEmptyString(p, "key_file", required: true)
            let previous = nonEmptyString(p, "previous_key_file")
            var allow = ParkPeer.operations
            if let items = array(p, "allow") {
                allow = []
                for (j, item) in items.enumerated() {
                    let path = p.path.appending("allow").indexed(j)
                    guard case .string(let op) = item, ParkPeer.operations.contains(op) else {
                        let written = if case .string(let text) = item { text } else { "" }
                        report(
                            path,
                            "must be one of \(ParkPeer.operations.joined(separator: ", "))"
                                + Suggestion.hint(for: written, in: ParkPeer.operations))
                        continue
                    }
                    if !allow.contains(op) { allow.append(op) }
                }
            }
            if let id, let keyFile, issues.count == before {
                peers.append(ParkPeer(id: id, keyFile: keyFile, previousKeyFile: previous, allow: allow))
            }
        }
        return peers
    }

    /// `[park]`: `[[park.plants]]` and `[[park.catchments]]`, whose plans must be among `plans`.
    mutating func validatePark(_ t: ConfigTable, plans: [String], mqtt: MQTTSettings?) -> ParkSettings? {
        checkKeys(t, allowed: ["plant_timeout_s", "command_timeout_s", "plants", "catchments"])
        let before = issues.count
        var s = ParkSettings()
        if mqtt == nil {
            reportTable(t.path, "a park instance watches its plants over MQTT: add an [mqtt] table with its broker")
        }
        if let n = integer(t, "plant_timeout_s", in: 10...3600) { s.plantTimeoutSeconds = n }
        if let n = integer(t, "command_timeout_s", in: 5...600) { s.commandTimeoutSeconds = n }

        var catchmentIDs: [String: Int] = [:]
        for (i, c) in arrayOfTables(t, "catchments") ?? [] {
            let itemBefore = issues.count
            checkKeys(c, allowed: ["id", "name", "plan", "on_escalation", "trip_plants"])
            let id = identifier(c, "id", required: true)
            if let id {
                if let first = catchmentIDs[id] {
                    report(c.path.appending("id"), "\(quoted(id)) is already used by park.catchments[\(first)]")
                } else {
                    catchmentIDs[id] = i
                }
            }
            let name = nonEmptyString(c, "name")
            let plan = nonEmptyString(c, "plan", required: true)
            if let plan, !plans.contains(plan) {
                report(
                    c.path.appending("plan"),
                    "\(quoted(plan)) is not a plan of this park (\"plant-wide\", a group:<g> or a [[plans]] id)"
                        + Suggestion.hint(for: plan, in: plans))
            }
            let on = choice(c, "on_escalation", Catchment.OnEscalation.self) ?? .confirm
            let trip = boolean(c, "trip_plants") ?? true
            if let id, let plan, issues.count == itemBefore {
                s.catchments.append(Catchment(id: id, name: name, plan: plan, onEscalation: on, tripPlants: trip))
            }
        }

        var plantIDs: [String: Int] = [:]
        for (i, p) in arrayOfTables(t, "plants") ?? [] {
            let itemBefore = issues.count
            checkKeys(p, allowed: ["id", "name", "catchment", "key_file"])
            let id = identifier(p, "id", required: true)
            if let id {
                if let first = plantIDs[id] {
                    report(p.path.appending("id"), "\(quoted(id)) is already used by park.plants[\(first)]")
                } else {
                    plantIDs[id] = i
                }
            }
            let name = nonEmptyString(p, "name")
            let catchment = identifier(p, "catchment", required: true)
            if let catchment, catchmentIDs[catchment] == nil {
                report(
                    p.path.appending("catchment"),
                    "\(quoted(catchment)) is not a [[park.catchments]] id"
                        + Suggestion.hint(for: catchment, in: Array(catchmentIDs.keys)))
            }
            let keyFile = nonEmptyString(p, "key_file", required: true)
            if let id, let catchment, let keyFile, issues.count == itemBefore {
                s.plants.append(ParkPlant(id: id, name: name, catchment: catchment, keyFile: keyFile))
            }
        }
        if s.plants.isEmpty, issues.count == before {
            reportTable(t.path, "a park instance needs at least one [[park.plants]]")
        }
        return issues.count == before ? s : nil
    }

    /// `[uplink]`: `server`, `mn`, `pw` and `[uplink.factors]` are required.
    mutating func validateUplink(_ t: ConfigTable, devices: [Device]) -> UplinkSettings? {
        checkKeys(
            t,
            allowed: [
                "server", "mn", "pw", "st", "realtime_interval_s", "minute_interval_min", "minute_data", "hourly_data",
                "timeout_s",
                "retries", "max_segment", "backfill_days", "allow_time_set", "factors",
            ])
        let before = issues.count
        var server: (String, Int)?
        if let text = string(t, "server", required: true) {
            server = hostAndPort(text, at: t.path.appending("server"))
        }
        let mn = hj212Text(t, "mn", limit: 24)
        let pw = hj212Text(t, "pw", limit: 9)
        var s = UplinkSettings(host: server?.0 ?? "", port: server?.1 ?? 0, mn: mn ?? "", pw: pw ?? "")
        if let st = integer(t, "st", in: 10...99) { s.st = st }
        if let i = integer(t, "realtime_interval_s", in: RealTimeInterval.seconds) { s.realtimeIntervalSeconds = i }
        if let m = integer(t, "minute_interval_min", in: 1...60) {
            if 60 % m == 0 {
                s.minuteIntervalMinutes = m
            } else {
                report(
                    t.path.appending("minute_interval_min"),
                    "\(m) must divide the hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
            }
        }
        if let b = boolean(t, "minute_data") { s.minuteData = b }
        if let b = boolean(t, "hourly_data") { s.hourlyData = b }
        if let n = integer(t, "timeout_s", in: 1...120) { s.timeoutSeconds = n }
        if let n = integer(t, "retries", in: 0...10) { s.retries = n }
        if let n = integer(t, "max_segment", in: 256...9999) { s.maxSegment = n }
        if let n = integer(t, "backfill_days", in: 1...90) { s.backfillDays = n }
        if let b = boolean(t, "allow_time_set") { s.allowTimeSet = b }
        if let factors = table(t, "factors", required: true) {
            var codes: [String: String] = [:]
            for point in factors.entries.keys.sorted() {
                let path = factors.path.appending(point)
                let parts = point.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2, let device = devices.first(where: { $0.id == parts[0] }) else {
                    report(
                        path,
                        "\(quoted(point)) must be <device>.<point> of a device above"
                            + Suggestion.hint(for: parts.first ?? point, in: devices.map(\.id)))
                    continue
                }
                guard device.points[parts[1]] != nil else {
                    report(
                        path,
                        "device \(quoted(device.id)) has no point \(quoted(parts[1]))"
                            + Suggestion.hint(for: parts[1], in: Array(device.points.keys)))
                    continue
                }
                guard let code = string(factors, point) else { continue }
                guard isFactorCode(code) else {
                    report(path, "\(quoted(code)) is not an HJ 212 factor code such as \"w01018\" (COD)")
                    continue
                }
                if let other = codes.first(where: { $0.value == code })?.key {
                    report(path, "factor \(quoted(code)) is already sent for \(quoted(other))")
                    continue
                }
                codes[point] = code
            }
            if codes.isEmpty, issues.count == before {
                report(factors.path, "maps no point: the uplink would send nothing")
            }
            s.factors = codes
        }
        return issues.count == before ? s : nil
    }

    /// A value that goes into an HJ 212 frame as is: printable ASCII without the frame's separators.
    private mutating func hj212Text(_ t: ConfigTable, _ key: String, limit: Int) -> String? {
        guard let s = nonEmptyString(t, key, required: true) else { return nil }
        let forbidden: Set<Character> = [";", ",", "=", "&", "#"]
        guard s.count <= limit, s.allSatisfy({ $0.isASCII && !$0.isWhitespace && !forbidden.contains($0) }) else {
            report(
                t.path.appending(key),
                "\(quoted(s)) must be at most \(limit) printable ASCII characters without ; , = & # or spaces")
            return nil
        }
        return s
    }

    /// A factor code: a letter and five characters of letters and digits (`w01018`, `a34004`, `e70101`).
    private func isFactorCode(_ s: String) -> Bool {
        s.utf8.count >= 4 && s.utf8.count <= 10 && s.first?.isLetter == true
            && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// The topic tree's root: one or more levels (`levee`, `cn/js/levee`), each a topic word, not starting with `$`.
    private mutating func topicPrefix(_ t: ConfigTable, _ key: String) -> String? {
        guard let s = nonEmptyString(t, key) else { return nil }
        let levels = s.split(separator: "/", omittingEmptySubsequences: false)
        let valid =
            s.count <= 128 && !s.hasPrefix("$")
            && levels.allSatisfy { level in
                !level.isEmpty && level.allSatisfy { $0.isASCII && !$0.isWhitespace && !"+#".contains($0) }
            }
        guard valid else {
            report(
                t.path.appending(key),
                "\(quoted(s)) must be topic levels separated by / (such as \"levee\" or \"cn/js/levee\"), none empty, "
                    + "without + # $ or spaces")
            return nil
        }
        return s
    }

    /// One level of an MQTT topic, or a client id: printable ASCII, no `/ + #`, no spaces.
    private mutating func topicWord(_ t: ConfigTable, _ key: String, limit: Int) -> String? {
        guard let s = nonEmptyString(t, key) else { return nil }
        guard s.count <= limit, s.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"/+#".contains($0) }) else {
            report(
                t.path.appending(key), "\(quoted(s)) must be at most \(limit) ASCII characters without / + # or spaces")
            return nil
        }
        return s
    }
}

import Foundation

extension ConfigValidator {
    /// `[notify]` and its arrays `channels`, `rules`, `oncall`. With `enabled = true` at least one channel, one rule
    /// and one person on rung 1 are required: a notifier that can tell nobody must not look as if it works.
    mutating func validateNotify(_ t: ConfigTable, devices: [Device]) -> NotifySettings {
        checkKeys(
            t,
            allowed: [
                "enabled", "outbox", "dashboard_url", "escalate_after_s", "coalesce_s", "rate_limit", "rate_period_s",
                "retry_min_s", "retry_max_s", "give_up_after_s", "channels", "rules", "oncall",
            ])
        var s = NotifySettings()
        if let b = boolean(t, "enabled") { s.enabled = b }
        if let p = nonEmptyString(t, "outbox") { s.outboxPath = p }
        if let url = nonEmptyString(t, "dashboard_url") {
            if url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url) != nil {
                s.dashboardURL = url
            } else {
                report(t.path.appending("dashboard_url"), "\(quoted(url)) must be an http:// or https:// URL")
            }
        }
        if let n = integer(t, "escalate_after_s", in: 10...86400) { s.escalateAfterSeconds = n }
        if let n = integer(t, "coalesce_s", in: 0...86400) { s.coalesceSeconds = n }
        if let n = integer(t, "rate_limit", in: 1...1000) { s.rateLimit = n }
        if let n = integer(t, "rate_period_s", in: 10...86400) { s.rateWindowSeconds = n }
        if let n = integer(t, "retry_min_s", in: 1...3600) { s.retryMinSeconds = n }
        if let n = integer(t, "retry_max_s", in: 1...86400) { s.retryMaxSeconds = n }
        if let n = integer(t, "give_up_after_s", in: 60...604_800) { s.giveUpAfterSeconds = n }
        if s.retryMaxSeconds < s.retryMinSeconds {
            report(
                t.path.appending("retry_max_s"),
                "\(s.retryMaxSeconds) is below retry_min_s (\(s.retryMinSeconds))")
        }
        s.channels = validateNotifyChannels(t)
        s.rules = validateNotifyRules(t, devices: devices)
        let beforeOnCall = issues.count
        s.oncall = validateOnCall(t, channels: s.channels)
        let onCallIsClean = issues.count == beforeOnCall
        if s.enabled {
            if t["channels"] == nil {
                reportTable(t.path, "enabled = true needs at least one [[notify.channels]]")
            }
            if t["rules"] == nil {
                reportTable(t.path, "enabled = true needs at least one [[notify.rules]]")
            }
            if onCallIsClean, !s.oncall.contains(where: { $0.rung == 1 }) {
                reportTable(t.path, "enabled = true needs someone on rung 1 in [[notify.oncall]]")
            }
        }
        return s
    }

    /// `[[notify.channels]]`: `id` and `type` required; the other keys belong to some types only.
    private mutating func validateNotifyChannels(_ t: ConfigTable) -> [NotifyChannel] {
        guard let items = arrayOfTables(t, "channels") else { return [] }
        var channels: [NotifyChannel] = []
        var seen: [String: Int] = [:]
        let keysByKind: [NotifyChannel.Kind: Set<String>] = [
            .sms: ["device", "baud"],
            .wecom: ["url_file"],
            .dingtalk: ["url_file", "secret_file"],
            .webhook: ["url", "url_file", "token_file"],
            .email: ["sendmail", "from"],
        ]
        let common: Set<String> = ["id", "type", "send_timeout_s"]
        for (i, c) in items {
            let before = issues.count
            let id = identifier(c, "id", required: true)
            if let id {
                if let first = seen[id] {
                    report(c.path.appending("id"), "\(quoted(id)) is already used by notify.channels[\(first)]")
                } else {
                    seen[id] = i
                }
            }
            let kind = choice(c, "type", NotifyChannel.Kind.self, required: true)
            let own =
                kind.map { keysByKind[$0] ?? [] } ?? keysByKind.values.reduce(into: Set<String>()) { $0.formUnion($1) }
            var elsewhere: [String: String] = [:]
            if let kind {
                for (other, keys) in keysByKind where other != kind {
                    for key in keys where !own.contains(key) {
                        elsewhere[key] =
                            "belongs to type \(quoted(other.rawValue)) channels, not \(quoted(kind.rawValue))"
                    }
                }
            }
            checkKeys(c, allowed: common.union(own), elsewhere: elsewhere)
            var channel = NotifyChannel(id: id ?? "", kind: kind ?? .webhook)
            if let n = integer(c, "send_timeout_s", in: 1...300) { channel.timeoutSeconds = n }
            switch kind {
            case .sms:
                channel.device = nonEmptyString(c, "device", required: true)
                if let n = integer(c, "baud", in: 300...4_000_000) { channel.baud = n }
            case .wecom:
                channel.urlFile = nonEmptyString(c, "url_file", required: true)
            case .dingtalk:
                channel.urlFile = nonEmptyString(c, "url_file", required: true)
                channel.secretFile = nonEmptyString(c, "secret_file")
            case .webhook:
                if let url = nonEmptyString(c, "url") {
                    if (url.hasPrefix("http://") || url.hasPrefix("https://")) && URL(string: url) != nil {
                        channel.url = url
                    } else {
                        report(c.path.appending("url"), "\(quoted(url)) must be an http:// or https:// URL")
                    }
                }
                channel.urlFile = nonEmptyString(c, "url_file")
                if c["url"] != nil && c["url_file"] != nil {
                    reportTable(c.path, "give either url or url_file, not both")
                } else if c["url"] == nil && c["url_file"] == nil {
                    report(c.path.appending("url"), "is required (or url_file)")
                }
                channel.tokenFile = nonEmptyString(c, "token_file")
            case .email:
                if let p = nonEmptyString(c, "sendmail") { channel.sendmail = p }
                channel.from = nonEmptyString(c, "from")
            case nil:
                break
            }
            if id != nil, kind != nil, issues.count == before { channels.append(channel) }
        }
        return channels
    }

    /// `[[notify.rules]]`: `id` required; every list optional.
    private mutating func validateNotifyRules(_ t: ConfigTable, devices: [Device]) -> [NotifyRule] {
        guard let items = arrayOfTables(t, "rules") else { return [] }
        var rules: [NotifyRule] = []
        var seen: [String: Int] = [:]
        let deviceIDs = devices.map(\.id)
        let groups = Array(Set(devices.compactMap(\.group))).sorted()
        for (i, r) in items {
            let before = issues.count
            checkKeys(
                r,
                allowed: [
                    "id", "kinds", "priorities", "groups", "devices", "first_rung", "last_rung", "escalate_after_s",
                    "acknowledge",
                ])
            let id = identifier(r, "id", required: true)
            if let id {
                if let first = seen[id] {
                    report(r.path.appending("id"), "\(quoted(id)) is already used by notify.rules[\(first)]")
                } else {
                    seen[id] = i
                }
            }
            var rule = NotifyRule(id: id ?? "")
            rule.kinds = words(r, "kinds", among: NotifyEventKind.allCases.map(\.rawValue))
                .map { Set($0.compactMap(NotifyEventKind.init(rawValue:))) }
            rule.priorities = words(r, "priorities", among: ["critical", "high", "medium", "low"]).map(Set.init)
            rule.groups = words(r, "groups", among: groups).map(Set.init)
            rule.devices = words(r, "devices", among: deviceIDs).map(Set.init)
            if let n = integer(r, "first_rung", in: 1...9) { rule.firstRung = n }
            if let n = integer(r, "last_rung", in: 1...9) { rule.lastRung = n }
            if rule.lastRung < rule.firstRung {
                report(r.path.appending("last_rung"), "\(rule.lastRung) is below first_rung (\(rule.firstRung))")
            }
            rule.escalateAfterSeconds = integer(r, "escalate_after_s", in: 10...86400)
            if let b = boolean(r, "acknowledge") { rule.acknowledge = b }
            if id != nil, issues.count == before { rules.append(rule) }
        }
        return rules
    }

    /// `[[notify.oncall]]`: `name`, `rung` and `channels` required.
    private mutating func validateOnCall(_ t: ConfigTable, channels: [NotifyChannel]) -> [OnCallEntry] {
        guard let items = arrayOfTables(t, "oncall") else { return [] }
        var people: [OnCallEntry] = []
        let channelIDs = channels.map(\.id)
        for (_, p) in items {
            let before = issues.count
            checkKeys(p, allowed: ["name", "rung", "phone", "email", "channels", "language", "days", "from", "to"])
            let name = nonEmptyString(p, "name", required: true)
            let rung = integer(p, "rung", required: true, in: 1...9)
            var entry = OnCallEntry(name: name ?? "", rung: rung ?? 1, channels: [])
            if let phone = nonEmptyString(p, "phone") {
                let digits = phone.hasPrefix("+") ? phone.dropFirst() : Substring(phone)
                if digits.count >= 3, digits.count <= 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    entry.phone = phone
                } else {
                    report(
                        p.path.appending("phone"), "\(quoted(phone)) must be 3 to 20 digits, with an optional leading +"
                    )
                }
            }
            if let mail = nonEmptyString(p, "email") {
                if mail.contains("@"), !mail.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) {
                    entry.email = mail
                } else {
                    report(p.path.appending("email"), "\(quoted(mail)) is not an e-mail address")
                }
            }
            if let list = words(p, "channels", among: channelIDs, required: true) {
                if case .array(let given)? = p["channels"], given.isEmpty {
                    report(p.path.appending("channels"), "must name at least one channel")
                }
                entry.channels = list
                for id in list {
                    guard let channel = channels.first(where: { $0.id == id }) else { continue }
                    if channel.kind == .sms, entry.phone == nil {
                        report(p.path.appending("phone"), "is required: channel \(quoted(id)) sends SMS")
                    }
                    if channel.kind == .email, entry.email == nil {
                        report(p.path.appending("email"), "is required: channel \(quoted(id)) sends e-mail")
                    }
                }
            }
            if let lang = choice(p, "language", among: ["zh", "en"]) { entry.language = lang }
            if let days = words(p, "days", among: OnCallEntry.weekdays) {
                if case .array(let given)? = p["days"], given.isEmpty {
                    report(p.path.appending("days"), "must name at least one day")
                }
                entry.days = Set(days.compactMap { OnCallEntry.weekdays.firstIndex(of: $0).map { $0 + 1 } })
            }
            let from = clock(p, "from")
            let to = clock(p, "to")
            if let from { entry.fromMinute = from }
            if let to { entry.toMinute = to == 0 && from != nil ? 1440 : to }
            if entry.fromMinute == entry.toMinute {
                report(p.path.appending("to"), "is the same time as from: the shift would be empty")
            }
            if name != nil, rung != nil, issues.count == before { people.append(entry) }
        }
        return people
    }

    /// A list of strings each of which must be one of `allowed` (a near miss is suggested); nil when absent.
    private mutating func words(
        _ t: ConfigTable, _ key: String, among allowed: [String], required: Bool = false
    ) -> [String]? {
        guard let items = array(t, key, required: required) else { return nil }
        var result: [String] = []
        for (j, item) in items.enumerated() {
            guard case .string(let s) = item else {
                report(t.path.appending(key).indexed(j), "must be a string, got \(item.typeName)")
                continue
            }
            guard allowed.contains(s) else {
                let list = allowed.isEmpty ? "(none is defined)" : allowed.joined(separator: ", ")
                report(
                    t.path.appending(key).indexed(j),
                    "\(quoted(s)) must be one of \(list)" + Suggestion.hint(for: s, in: allowed))
                continue
            }
            if !result.contains(s) { result.append(s) }
        }
        return result
    }

    /// "HH:MM", 00:00...23:59 (and "24:00" for the end of the day), as minutes since midnight.
    private mutating func clock(_ t: ConfigTable, _ key: String) -> Int? {
        guard let s = string(t, key) else { return nil }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let h = Int(parts[0]), let m = Int(parts[1]),
            (0...23).contains(h) && (0...59).contains(m) || (h == 24 && m == 0)
        {
            return h * 60 + m
        }
        report(t.path.appending(key), "\(quoted(s)) must be a time \"HH:MM\" from 00:00 to 24:00")
        return nil
    }
}

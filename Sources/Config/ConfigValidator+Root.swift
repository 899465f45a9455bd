import Foundation

/// A bus `type`, as spelt in the file.
enum BusFamily: String, CaseIterable, Sendable {
    case modbusTCP = "modbus-tcp"
    case modbusRTU = "modbus-rtu"
    case gpio = "gpio"

    var isModbus: Bool { self != .gpio }
}

/// What the device pass needs to know about one bus the file defines, valid or not.
///
/// A bus with mistakes is still "defined": its devices should not also be told the bus does not exist.
struct DefinedBus: Sendable {
    var id: String
    /// Nil when the bus table has mistakes.
    var bus: Bus?
    /// Nil when `type` is missing or misspelt.
    var family: BusFamily?
}

extension ConfigValidator {
    /// Validates a whole document.
    ///
    /// - Parameter busOrder: bus ids in the order their tables appear in the text (see `busOrder(in:)`).
    /// - Returns: the configuration, or nil when any issue was recorded.
    mutating func validate(_ root: [String: TOMLNode], busOrder: [String]) -> LeveeConfig? {
        let top = ConfigTable(path: KeyPath(), entries: root)
        checkKeys(
            top,
            allowed: [
                "site", "buses", "devices", "historian", "daemon", "alarm", "alarms", "defence", "plans", "interlocks",
                "first_flush", "http", "users", "mqtt", "park", "uplink", "dcs", "notify",
            ])
        let site = table(top, "site", required: true).flatMap { validateSite($0) }
        // A file with neither [buses] nor [[devices]] describes a plant not yet configured: it is valid and polls
        // nothing. It is what the package installs as /etc/levee/levee.toml, so that a box booted before anyone
        // edited the file never polls, let alone commands, addresses it was not told about. A file with either
        // table keeps the rules that each must hold at least one entry.
        let unconfigured = top["buses"] == nil && top["devices"] == nil
        let buses = unconfigured ? [] : validateBuses(top, order: busOrder)
        let devices = unconfigured ? [] : validateDevices(top, buses: buses)
        checkSharedTargets(devices, buses: buses)
        let historian = table(top, "historian").map { validateHistorian($0) } ?? HistorianSettings()
        let daemon = table(top, "daemon").map { validateDaemon($0) } ?? DaemonSettings()
        let validDevices = devices.compactMap(\.device)
        let alarmSettings =
            table(top, "alarm").map { validateAlarmSettings($0, devices: validDevices) } ?? AlarmSettings()
        let alarms = validateAlarms(top, devices: validDevices, settings: alarmSettings)
        let defence = table(top, "defence").map { validateDefence($0, devices: validDevices) } ?? DefenceSettings()
        let plans = validatePlans(top, devices: validDevices)
        let interlocks = validateInterlocks(top, devices: validDevices, alarms: alarms, plans: plans)
        let firstFlush = validateFirstFlush(top, devices: validDevices, alarms: alarms)
        let http = table(top, "http").map { validateHTTP($0) } ?? HTTPSettings()
        let users = validateUsers(top)
        let mqtt = table(top, "mqtt").flatMap { validateMQTT($0) }
        let planIDs =
            ["plant-wide"] + plans.plans.map(\.id)
            + Set(validDevices.compactMap(\.group)).sorted().map { "group:\($0)" }
        let park = table(top, "park").flatMap { validatePark($0, plans: planIDs, mqtt: mqtt) }
        let uplink = table(top, "uplink").flatMap { validateUplink($0, devices: validDevices) }
        let dcs = table(top, "dcs").map { validateDCS($0, plans: planIDs) } ?? DCSSettings()
        checkDCSAddresses(validDevices)
        let notify = table(top, "notify").map { validateNotify($0, devices: validDevices) } ?? NotifySettings()
        guard issues.isEmpty, let site else { return nil }
        var config = LeveeConfig(
            site: site, buses: buses.compactMap(\.bus), devices: validDevices, historian: historian, daemon: daemon,
            alarms: alarms, alarmSettings: alarmSettings, defence: defence, plans: plans.plans, interlocks: interlocks,
            firstFlush: firstFlush, http: http, users: users, mqtt: mqtt, park: park, uplink: uplink)
        config.dcs = dcs
        config.notify = notify
        return config
    }

    /// `[site]`: `id`, `name`, `time_zone`, all required.
    mutating func validateSite(_ t: ConfigTable) -> Site? {
        checkKeys(t, allowed: ["id", "name", "time_zone"])
        let id = identifier(t, "id", required: true)
        let name = nonEmptyString(t, "name", required: true)
        let zone = timeZone(t, "time_zone", required: true)
        guard let id, let name, let zone else { return nil }
        return Site(id: id, name: name, timeZone: zone)
    }

    /// An id made of ASCII letters, digits, `-` and `_`.
    mutating func identifier(_ t: ConfigTable, _ key: String, required: Bool = false) -> String? {
        guard let s = string(t, key, required: required) else { return nil }
        guard isIdentifier(s) else {
            report(t.path.appending(key), "\(quoted(s)) must match [A-Za-z0-9_-]+")
            return nil
        }
        return s
    }

    /// An IANA time-zone name that Foundation knows.
    ///
    /// Foundation also accepts abbreviations such as `CST`, which are ambiguous (China or US Central), and
    /// offsets such as `GMT+8`, which ignore the zone's history; only names from the zone database pass, plus
    /// `UTC`.
    mutating func timeZone(_ t: ConfigTable, _ key: String, required: Bool) -> String? {
        guard let s = string(t, key, required: required) else { return nil }
        let known = TimeZone.knownTimeZoneIdentifiers
        let valid = TimeZone(identifier: s) != nil && (s == "UTC" || s.contains("/") || known.contains(s))
        guard valid else {
            report(
                t.path.appending(key),
                "\(quoted(s)) is not an IANA time zone such as \"Asia/Shanghai\"" + Suggestion.hint(for: s, in: known)
            )
            return nil
        }
        return s
    }
}

extension ConfigLoader {
    /// Bus ids in the order their tables first appear in `text`.
    ///
    /// toml++ keeps a table's keys sorted, so the parsed tree has lost the order the person wrote the buses in;
    /// this light scan of `[buses.<id>]` headers and of `<id> = ...` lines under `[buses]` recovers it. Ids it
    /// does not find follow, sorted.
    static func busOrder(in text: String) -> [String] {
        var order: [String] = []
        var section = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                guard let close = line.firstIndex(of: "]") else { continue }
                section = String(line[line.index(after: line.startIndex)..<close]).filter { !$0.isWhitespace }
                if section.hasPrefix("buses.") {
                    let id = firstKey(String(section.dropFirst("buses.".count)))
                    if !id.isEmpty, !order.contains(id) { order.append(id) }
                }
            } else if line.hasPrefix("[[") {
                section = ""
            } else if section == "buses", let equals = line.firstIndex(of: "=") {
                let id = firstKey(line[..<equals].trimmingCharacters(in: .whitespaces))
                if !id.isEmpty, !order.contains(id) { order.append(id) }
            }
        }
        return order
    }

    /// The first component of a dotted key, without quotes.
    private static func firstKey(_ dotted: String) -> String {
        if let quote = dotted.first, quote == "\"" || quote == "'" {
            let rest = dotted.dropFirst()
            return String(rest.prefix { $0 != quote })
        }
        return String(dotted.prefix { $0 != "." }).trimmingCharacters(in: .whitespaces)
    }
}

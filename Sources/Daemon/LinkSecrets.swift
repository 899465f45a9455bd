import Config
import Foundation

/// The secrets the MQTT link needs, read from the files `[mqtt]` and `[park]` name: the broker password and the
/// HMAC keys shared with parks or plants. Read once at start (and by check-config), so a missing or unreadable key
/// stops the daemon with the key path at fault instead of failing the first park command.
struct LinkSecrets: Sendable {
    /// The broker password, from `mqtt.password_file`.
    var brokerPassword: String?
    /// Park id → its keys (the current one first, then `previous_key_file`'s), from `[[mqtt.parks]]`.
    var parkKeys: [String: [[UInt8]]] = [:]
    /// Plant id → the key the park signs its commands to that plant with, from `[[park.plants]]`.
    var plantKeys: [String: [UInt8]] = [:]

    /// A key shorter than this is refused: HMAC-SHA256 keys should carry at least 128 bits.
    static let minimumKeyLength = 16

    /// Reads every secret `config` names; the errors name the key path and the file.
    static func load(_ config: LeveeConfig) throws(SecretsError) -> LinkSecrets {
        var secrets = LinkSecrets()
        var problems: [String] = []
        func read(_ path: String, key: String, isKey: Bool) -> [UInt8]? {
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append("\(key): cannot read \(path) (\(String(cString: strerror(errno))))")
                return nil
            }
            let firstLine =
                String(decoding: data, as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let value = firstLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if isKey && value.utf8.count < minimumKeyLength {
                problems.append(
                    "\(key): the key in \(path) is \(value.utf8.count) bytes; at least \(minimumKeyLength) are needed "
                        + "(for example: head -c 32 /dev/urandom | base64 > \(path))")
                return nil
            }
            if !isKey && value.isEmpty {
                problems.append("\(key): \(path) is empty")
                return nil
            }
            return Array(value.utf8)
        }
        if let mqtt = config.mqtt {
            if let file = mqtt.passwordFile, let password = read(file, key: "mqtt.password_file", isKey: false) {
                secrets.brokerPassword = String(decoding: password, as: UTF8.self)
            }
            for (i, park) in mqtt.parks.enumerated() {
                var keys: [[UInt8]] = []
                if let key = read(park.keyFile, key: "mqtt.parks[\(i)].key_file", isKey: true) { keys.append(key) }
                if let file = park.previousKeyFile,
                    let key = read(file, key: "mqtt.parks[\(i)].previous_key_file", isKey: true)
                {
                    keys.append(key)
                }
                secrets.parkKeys[park.id] = keys
            }
        }
        for (i, plant) in (config.park?.plants ?? []).enumerated() {
            if let key = read(plant.keyFile, key: "park.plants[\(i)].key_file", isKey: true) {
                secrets.plantKeys[plant.id] = key
            }
        }
        guard problems.isEmpty else { throw SecretsError(lines: problems) }
        return secrets
    }
}

/// Secrets that could not be read, one line each.
struct SecretsError: Error, CustomStringConvertible {
    var lines: [String]
    var description: String { lines.joined(separator: "\n") }
}

import Config

/// Which slot each device, alarm and plan has in the DCS register map: the content of the lock file.
///
/// A slot, once given, is never given to anything else, so the DCS's faceplates stay wired to the same thing across
/// restarts, reloads and edits of the file: a removed device's slot stays reserved (its registers answer "illegal
/// data address"), and a new device takes the lowest slot never used. A device's `dcs_address` overrides the lock.
public struct DCSAddressBook: Codable, Sendable, Hashable {
    public var version: Int
    public var devices: [String: Int]
    public var alarms: [String: Int]
    public var plans: [String: Int]

    public init(devices: [String: Int] = [:], alarms: [String: Int] = [:], plans: [String: Int] = [:]) {
        self.version = 1
        self.devices = devices
        self.alarms = alarms
        self.plans = plans
    }

    /// What the assignment found that a person must know: a device that lost its locked slot to another's
    /// `dcs_address`, or a table that is full.
    public struct Assignment: Sendable, Hashable {
        public var book: DCSAddressBook
        public var notes: [String]
    }

    /// The plans a configuration gives, as `PlanBook` names them: plant-wide, one per device group, then `[[plans]]`.
    public static func planIDs(_ config: LeveeConfig) -> [String] {
        ["plant-wide"] + Set(config.devices.compactMap(\.group)).sorted().map { "group:\($0)" } + config.plans.map(\.id)
    }

    /// The slots for `config`, keeping every assignment of `lock`. Pure: the caller reads and writes the file.
    public static func assign(_ config: LeveeConfig, lock: DCSAddressBook?) -> Assignment {
        var notes: [String] = []
        let lock = lock ?? DCSAddressBook()
        var book = DCSAddressBook()

        // Devices: explicit addresses first, then the lock's, then new devices in file order.
        let explicit = Dictionary(
            config.devices.compactMap { d in d.dcsAddress.map { (d.id, $0) } }, uniquingKeysWith: { a, _ in a })
        let explicitSlots = Set(explicit.values)
        book.devices = explicit
        for (id, slot) in lock.devices.sorted(by: { $0.value < $1.value }) where explicit[id] == nil {
            if explicitSlots.contains(slot) {
                if config.device(id) != nil {
                    notes.append(
                        "device \(id) loses slot \(slot) to another device's dcs_address; it gets a new one")
                }
                continue
            }
            book.devices[id] = slot
        }
        var used = Set(book.devices.values)
        for device in config.devices where book.devices[device.id] == nil {
            guard let slot = DCSLayout.deviceSlots.first(where: { !used.contains($0) }) else {
                notes.append("device \(device.id) has no slot: all \(DCSLayout.deviceSlots.count) are used")
                continue
            }
            book.devices[device.id] = slot
            used.insert(slot)
        }

        func fill(_ ids: [String], locked: [String: Int], slots: ClosedRange<Int>, what: String) -> [String: Int] {
            var result = locked
            var used = Set(locked.values)
            for id in ids where result[id] == nil {
                guard let slot = slots.first(where: { !used.contains($0) }) else {
                    notes.append("\(what) \(id) has no slot: all \(slots.count) are used")
                    continue
                }
                result[id] = slot
                used.insert(slot)
            }
            return result
        }
        book.alarms = fill(config.alarms.map(\.id), locked: lock.alarms, slots: DCSLayout.alarmSlots, what: "alarm")
        book.plans = fill(planIDs(config), locked: lock.plans, slots: DCSLayout.planSlots, what: "plan")
        return Assignment(book: book, notes: notes)
    }
}

import Config
import ModbusWire
import Testing

@testable import DCSLink

/// The register map: slots kept across edits, the fixed point order, the document's rows.
struct MapTests {
    @Test func everyPointNameAKindMayHaveHasAFixedPlaceInItsBlock() {
        for kind in DeviceKind.allCases {
            let names = PointRole.required(for: kind).union(PointRole.optional(for: kind))
            let listed = DCSLayout.points(for: kind.rawValue)
            #expect(Set(listed) == names, "\(kind)")
            #expect(listed.count <= DCSLayout.maxPoints)
        }
    }

    @Test func devicesTakeSlotsInFileOrderAndKeepThemWhenADeviceIsAddedBeforeThem() throws {
        let first = DCSAddressBook.assign(try Fixture.config(), lock: nil)
        #expect(first.book.devices == ["gas-a1": 0, "rain-outlet-1": 1])
        #expect(first.notes.isEmpty)
        // The pool goes first in the file now; the lock keeps the others where they were.
        let edited = try Fixture.config(devices: Fixture.pool + Fixture.devices())
        let second = DCSAddressBook.assign(edited, lock: first.book)
        #expect(second.book.devices == ["gas-a1": 0, "rain-outlet-1": 1, "pool": 2])
        // Without the lock, file order would have moved them: the lock is what keeps them.
        #expect(DCSAddressBook.assign(edited, lock: nil).book.devices["gas-a1"] == 1)
    }

    @Test func aRemovedDeviceKeepsItsSlotReservedAndItsRegistersAnswerIllegalAddress() throws {
        let withPool = try Fixture.config(devices: Fixture.devices() + Fixture.pool)
        let locked = DCSAddressBook.assign(withPool, lock: nil).book
        #expect(locked.devices["pool"] == 2)
        let without = try Fixture.config()
        let book = DCSAddressBook.assign(without, lock: locked).book
        #expect(book.devices["pool"] == 2, "kept in the lock")
        let map = DCSMap(config: without, book: book)
        #expect(!map.registerExists(DCSLayout.deviceAddress(slot: 2)))
        // A new device does not take the reserved slot.
        let again = try Fixture.config(
            devices: Fixture.devices() + Fixture.pool.replacingOccurrences(of: "\"pool\"", with: "\"pool-2\""))
        #expect(DCSAddressBook.assign(again, lock: book).book.devices["pool-2"] == 3)
    }

    @Test func dcsAddressOverridesTheLockAndTheDeviceItDisplacesMovesWithANote() throws {
        let locked = DCSAddressBook.assign(try Fixture.config(), lock: nil).book
        let config = try Fixture.config(devices: Fixture.devices(gasAddress: "dcs_address = 1"))
        let result = DCSAddressBook.assign(config, lock: locked)
        #expect(result.book.devices["gas-a1"] == 1)
        #expect(result.book.devices["rain-outlet-1"] != 1)
        #expect(result.notes.contains { $0.contains("rain-outlet-1 loses slot 1") })
    }

    @Test func twoDevicesCannotClaimOneDCSAddress() {
        let devices = Fixture.devices(gasAddress: "dcs_address = 4")
            .replacingOccurrences(of: "stroke_s = 1.0", with: "stroke_s = 1.0\ndcs_address = 4")
        #expect(throws: ConfigErrors.self) { try Fixture.config(devices: devices) }
        #expect(throws: Never.self) { try Fixture.config(devices: Fixture.devices(gasAddress: "dcs_address = 4")) }
    }

    @Test func theMapDocumentGivesEachPointsAddressTypeOrderScaleAndUnit() throws {
        let config = try Fixture.config(dcs: "word_order = \"CDAB\"\nint_scale = 100\nshutoff_coils = [\"plant-wide\"]")
        let map = DCSMap(config: config, book: DCSAddressBook.assign(config, lock: nil).book)
        let gas = map.entries.filter { $0.source == "gas-a1/concentration" }
        let float = try #require(gas.first { $0.type == "float32" })
        #expect(float.address == 1010 && float.wordOrder == "CDAB" && float.unit == "%LEL" && float.scale == nil)
        let int16 = try #require(gas.first { $0.type == "int16" })
        #expect(int16.address == 1014 && int16.scale == 100)
        #expect(gas.contains { $0.address == 1015 && $0.meaning.contains("quality") })
        // The valve's own state, and its limit switches as points 0 and 1 of its block.
        #expect(map.entries.contains { $0.address == 1101 && $0.meaning.contains("2 closed") })
        #expect(map.entries.contains { $0.address == 1118 && $0.source == "rain-outlet-1/closed_limit" })
        // One coil only: the shutoff of the plan listed; reset and acknowledge are off.
        #expect(map.entries.filter { $0.table == "coil" }.map(\.address) == [100])
        #expect(map.coils == [100: .shutoff(plan: "plant-wide")])
    }

    @Test func aShutoffCoilForAPlanThatDoesNotExistIsAConfigurationError() {
        #expect(throws: ConfigErrors.self) { try Fixture.config(dcs: "shutoff_coils = [\"plant-wyde\"]") }
        #expect(throws: ConfigErrors.self) { try Fixture.config(dcs: "allow = [\"dcs.example.com\"]") }
        #expect(throws: Never.self) {
            try Fixture.config(
                dcs: "shutoff_coils = [\"plant-wide\", \"group:tank-farm-A\"]\nallow = [\"10.0.0.5\", \"::1\"]")
        }
    }
}

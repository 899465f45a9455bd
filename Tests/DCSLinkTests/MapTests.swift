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
}

import Config
import ModbusWire
import Testing

/// The decimals a CSV export writes a point's readings with: set by an integer register's scale and offset.
struct PointDecimalsTests {
    static func point(_ type: ValueType, scale: Double = 1, offset: Double = 0) -> Point {
        Point(
            name: "p",
            source: .modbus(
                ModbusPoint(
                    table: .inputRegister, address: 0, type: type,
                    wordOrder: type.needsWordOrder ? .abcd : nil, scaling: Scaling(scale: scale, offset: offset))))
    }

    @Test(
        arguments: [
            (ValueType.int16, 1.0, 0.0, 0 as Int?),
            (.int16, 0.1, 0, 1),
            (.uint16, 0.01, 0, 2),
            (.int32, 0.25, 0, 2),
            (.uint16, 0.1, -40, 1),
            (.uint16, 1, 0.5, 1),
            (.int16, 0.001, 0, 3),
            (.uint16, 1.0 / 3.0, 0, nil),
            (.float32, 1, 0, nil),
            (.float32, 0.1, 0, nil),
            (.bool, 1, 0, 0),
            (.bit(3), 1, 0, 0),
        ] as [(ValueType, Double, Double, Int?)])
    func decimals(type: ValueType, scale: Double, offset: Double, expected: Int?) {
        #expect(Self.point(type, scale: scale, offset: offset).decimals == expected)
    }

    @Test func aGPIOLineIsAWholeNumber() {
        #expect(Point(name: "state", source: .gpio(GPIOLine(offset: 3, direction: .input))).decimals == 0)
    }
}

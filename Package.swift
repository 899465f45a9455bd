// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Levee",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "leveed", targets: ["Daemon"]),
        .executable(name: "levee-sim", targets: ["levee-sim"]),
        .library(name: "PlantSim", targets: ["PlantSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // System libraries from Debian, found through pkg-config. Each holds only a module map and a shim header.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        .systemLibrary(
            name: "CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),

        // Pure Swift: how values sit in Modbus registers (types, word order, scaling), CRC-16 and frame layout.
        // Shared by the poller and the simulated plant; imports no C module.
        .target(name: "ModbusWire"),

        // Typed configuration, loading and validation. No I/O beyond reading the file.
        .target(
            name: "Config",
            dependencies: [
                "ModbusWire",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),

        // Buses, Modbus and GPIO I/O, device models (valve, level, gas, dust, ...).
        .target(
            name: "Devices",
            dependencies: [
                "Config",
                "ModbusWire",
                "CModbus",
                "CGPIOD",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The daemon executable `leveed`.
        .executableTarget(
            name: "Daemon",
            dependencies: [
                "Config",
                "Devices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The simulated plant: a library tests start in-process, and the `levee-sim` executable.
        .target(
            name: "PlantSim",
            dependencies: [
                "ModbusWire",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "simulators/PlantSim"
        ),
        .executableTarget(
            name: "levee-sim",
            dependencies: [
                "PlantSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "simulators/levee-sim"
        ),

        .testTarget(name: "ModbusWireTests", dependencies: ["ModbusWire"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "Config", "PlantSim", "ModbusWire"]),
        .testTarget(name: "PlantSimTests", dependencies: ["PlantSim", "ModbusWire"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Levee",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "leveed", targets: ["Daemon"]),
        .executable(name: "leveectl", targets: ["leveectl"]),
        .executable(name: "levee-web", targets: ["levee-web"]),
        .executable(name: "levee-notify", targets: ["levee-notify"]),
        .executable(name: "levee-sim", targets: ["levee-sim"]),
        .library(name: "PlantSim", targets: ["PlantSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
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

        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),

        // The one errno helper (`systemCall`, `SystemCallError`), the one `WakePipe` that interrupts a thread's
        // poll(2), and `WorkerThread`, the one way to run a blocking loop on its own thread and wait for its end:
        // the basics every module with its own I/O thread shares. Glibc only.
        .target(name: "SystemCalls"),

        // The log handler leveed and levee-web share: one line per event on stderr, with the syslog priority under
        // journald.
        .target(name: "JournalLog", dependencies: [.product(name: "Logging", package: "swift-log")]),

        // Small state files that must survive a crash and a full disk (the shutoff latch, the alarm states): two
        // preallocated slots rewritten in place, and one writer thread per file that keeps saves in order.
        .target(
            name: "DurableState",
            dependencies: ["SystemCalls", .product(name: "Logging", package: "swift-log")]),

        // The one calendar arithmetic: wall-clock fields of an instant in a zone, and back. Every time format the
        // project writes (HJ 212 stamps, the park's ISO times, drill reports, CSV) spells one of these. Pure Swift.
        .target(name: "CivilTime"),

        // The one version string `--version` prints on every executable; a test holds it to packaging/changelog.
        .target(name: "LeveeVersion"),

        // Pure Swift: how values sit in Modbus registers (types, word order, scaling), CRC-16 and frame layout.
        // Shared by the poller and the simulated plant; imports no C module.
        .target(name: "ModbusWire"),

        // Typed configuration, loading and validation. No I/O beyond reading the file.
        .target(
            name: "Config",
            dependencies: [
                "ModbusWire",
                "Alarm",
                // The HJ 212 ranges the uplink's keys share with the protocol (the real-time interval).
                "HJ212",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),

        // Buses, Modbus and GPIO I/O, device models (valve, level, gas, dust, ...).
        .target(
            name: "Devices",
            dependencies: [
                "Config",
                "SystemCalls",
                "ModbusWire",
                "CModbus",
                "CGPIOD",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The operator's words: one catalogue of every text the server makes for people (statuses, trips, refusals,
        // journal entries, alarms, escalations), each a typed message id with its parameters, in zh-CN and en, and
        // the renderer. The journal stores id and parameters so each client renders in its own language. Pure Swift.
        .target(name: "Messages"),

        // Pure Swift alarm engine (ISA-18.2 states, conditions with deadband and delays, first-out, flood), and the
        // condition type the shutoff interlocks reuse. Imports no C module and no I/O module.
        .target(name: "Alarm", dependencies: ["Messages"]),

        // The three lines of defence: response plans, the shutoff sequencer (a pure value: trips and feedback in,
        // commands out), latch and reset, bypasses, escalation, first flush. No I/O.
        .target(name: "Defence", dependencies: ["Config", "Alarm"]),

        // Verification drills (验证演练): the drill report (timeline, stroke times against baseline and drift, failures,
        // alarms, pool change) and its self-contained HTML and Markdown renderings. Pure Swift, no I/O.
        .target(name: "Drills", dependencies: ["CivilTime"]),

        // SQLite storage of readings, events and commands (GRDB), with buffering when the disk fails.
        // Knows nothing of buses or devices: the daemon hands it plain records.
        .target(
            name: "Historian",
            dependencies: [
                "SystemCalls",
                "CivilTime",
                "Messages",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API GRDB links, for binding the readings insert without boxing arguments.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A tiny writer the historian's crash test kills with SIGKILL mid-write.
        .executableTarget(
            name: "historian-probe",
            dependencies: ["Historian"],
            path: "Tests/Tools/historian-probe"
        ),

        // SHA-256 and HMAC-SHA256 in pure Swift: hashed API tokens and signed park commands. No I/O.
        .target(name: "Digest"),

        // What leveed answers on its control socket, shared with leveectl: Codable status types and the client.
        .target(name: "ControlAPI", dependencies: ["Messages"]),

        // The HTTP API for the control room, the park and the bureau (Hummingbird): roles, tokens, live updates by
        // Server-Sent Events, the OpenAPI document, and the web dashboard it serves from Resources/dashboard.
        .target(
            name: "WebAPI",
            dependencies: [
                "CivilTime",
                "ControlAPI",
                "Digest",
                "Historian",
                "Messages",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")]
        ),

        // An MQTT client over libmosquitto: its own network thread, TLS and passwords, last will, and a bounded outbox
        // (persisted for the messages that matter) that is sent in order when the broker comes back.
        // Knows nothing of plants: it moves topics and bytes.
        .target(
            name: "MQTTLink",
            dependencies: [
                "CMosquitto",
                "SystemCalls",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // What a plant and its park say to each other over MQTT: the topic tree, the versioned JSON payloads, signed
        // park commands (HMAC, allow-list, timestamp and nonce) and the park's view of its plants. Pure Swift, no I/O.
        .target(name: "ParkLink", dependencies: ["ControlAPI", "Digest", "CivilTime"]),

        // HJ 212-2017, the bureau's data link: frames, CRC, the CP data area, data flags, split messages. Pure Swift.
        .target(name: "HJ212", dependencies: ["CivilTime"]),

        // The HJ 212 uplink to the bureau's platform: the session (acknowledgements, timeouts, retries, backfill of
        // unacknowledged minute and hourly data, the platform's requests) and its TCP client on its own thread.
        .target(
            name: "Uplink",
            dependencies: [
                "HJ212",
                "SystemCalls",
                "Historian",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The Modbus TCP server the plant's DCS polls: the register map made from the configuration (addresses kept
        // stable by `dcs_address` keys and a lock file), the encoding of values, qualities and states, the write
        // coils' edge-and-hold logic (all pure), and the server on its own poll(2) thread.
        .target(
            name: "DCSLink",
            dependencies: [
                "Config", "ModbusWire", "SystemCalls", .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Alarm notifications to the duty officer's phone: rules, the on-call roster and its escalation ladder, the
        // message text, the durable outbox (its own SQLite file) and the channels (SMS modem, WeCom, DingTalk, a JSON
        // webhook, sendmail). Used by the `levee-notify` process; leveed never links it, so no notification can hold
        // up a safety function.
        .target(
            name: "Notify",
            dependencies: [
                "CivilTime",
                "Config",
                "ControlAPI",
                "Digest",
                "SystemCalls",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The daemon executable `leveed`: wires field I/O, the historian, systemd and the control socket together.
        // It serves no HTTP and does not link Hummingbird: the HTTP API is levee-web, a process of its own.
        .executableTarget(
            name: "Daemon",
            dependencies: [
                "CivilTime",
                "Config",
                "Devices",
                "Historian",
                "ControlAPI",
                "Alarm",
                "Defence",
                "Drills",
                "Messages",
                "MQTTLink",
                "ParkLink",
                "HJ212",
                "Uplink",
                "DCSLink",
                "SystemCalls",
                "DurableState",
                "JournalLog",
                "LeveeVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // `levee-web`: the HTTP API, the dashboard, the live streams and /metrics as a process of its own. Wiring
        // only: it reaches leveed through the typed control protocol on the control socket, and reads the
        // historian's database read-only.
        .executableTarget(
            name: "levee-web",
            dependencies: [
                "Config",
                "ControlAPI",
                "Historian",
                "JournalLog",
                "LeveeVersion",
                "SystemCalls",
                "WebAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Web"
        ),

        // `levee-notify`: alarm notifications as a process of their own. Wiring only: it follows leveed over the control
        // socket, as levee-web does, and owns the notification outbox.
        .executableTarget(
            name: "levee-notify",
            dependencies: [
                "Config",
                "ControlAPI",
                "JournalLog",
                "LeveeVersion",
                "Notify",
                "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/NotifyApp"
        ),

        // The operator's command line `leveectl`.
        .executableTarget(
            name: "leveectl",
            dependencies: [
                "Config",
                "ControlAPI",
                "DCSLink",
                "Defence",
                "Drills",
                "Historian",
                "LeveeVersion",
                "Messages",
                "Notify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Ctl"
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
                "LeveeVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "simulators/levee-sim"
        ),

        // Benchmarks (not tests): bench/run.sh builds this in release mode.
        .executableTarget(
            name: "levee-bench",
            dependencies: [
                "Config", "ControlAPI", "Devices", "Historian", "PlantSim", "ModbusWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/Sources/levee-bench"
        ),

        // What every test target shares: ports no other process takes, the tools from the install step (the
        // project's venv Python, mbpoll, mosquitto), child processes, waiting, and a real mosquitto broker.
        .target(name: "LeveeTestSupport", path: "Tests/Support"),

        .testTarget(name: "ModbusWireTests", dependencies: ["ModbusWire"]),
        .testTarget(
            name: "DCSLinkTests",
            dependencies: [
                "DCSLink", "Config", "ModbusWire", "LeveeTestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Alarm", "HJ212", "LeveeTestSupport"]),
        .testTarget(
            name: "DevicesTests", dependencies: ["Devices", "Config", "PlantSim", "ModbusWire", "LeveeTestSupport"]),
        .testTarget(name: "PlantSimTests", dependencies: ["PlantSim", "ModbusWire", "LeveeTestSupport"]),
        .testTarget(name: "MessagesTests", dependencies: ["Messages"]),
        .testTarget(name: "HistorianTests", dependencies: ["Historian", "Messages"]),
        .testTarget(name: "AlarmTests", dependencies: ["Alarm", "Messages"]),
        .testTarget(name: "DefenceTests", dependencies: ["Defence", "Config", "Alarm", "Messages"]),
        .testTarget(name: "DrillsTests", dependencies: ["Drills"]),
        .testTarget(name: "DurableStateTests", dependencies: ["DurableState", "SystemCalls", "LeveeTestSupport"]),
        .testTarget(name: "DigestTests", dependencies: ["Digest", "LeveeTestSupport"]),
        .testTarget(name: "CivilTimeTests", dependencies: ["CivilTime"]),
        .testTarget(name: "LeveeVersionTests", dependencies: ["LeveeVersion"]),
        .testTarget(name: "LeveectlTests", dependencies: ["leveectl", "ControlAPI", "Messages"]),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls", "LeveeTestSupport"]),
        .testTarget(name: "ControlAPITests", dependencies: ["ControlAPI", "Messages"]),
        .testTarget(name: "MQTTLinkTests", dependencies: ["MQTTLink", "LeveeTestSupport"]),
        .testTarget(name: "ParkLinkTests", dependencies: ["ParkLink", "ControlAPI", "Digest"]),
        .testTarget(name: "HJ212Tests", dependencies: ["HJ212", "LeveeTestSupport"]),
        .testTarget(
            name: "NotifyTests",
            dependencies: [
                "Notify", "Config", "ControlAPI", "Digest", "LeveeTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "UplinkTests", dependencies: ["Uplink", "HJ212", "Historian", "LeveeTestSupport"]),
        .testTarget(
            name: "WebAPITests",
            dependencies: [
                "WebAPI", "ControlAPI", "Digest", "Historian", "Messages",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "ControlAPI", "Historian", "PlantSim", "Config", "ParkLink", "Digest", "LeveeTestSupport",
                "LeveeVersion", "Messages",
                // To stage a database written by a newer version of Levee.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

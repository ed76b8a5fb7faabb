// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // The in-memory search's scan kernel (AVX2 where the processor has it, chosen at run time).
        .target(name: "CSluiceKernels"),
        // Domain, seams and pure policies. No backend imports here.
        .target(
            name: "SluiceCore",
            dependencies: [
                "CSluiceKernels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite's process-wide settings, applied as the program is loaded.
        .target(name: "CSluiceSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Embedded backend: queue, state and vector index in one SQLite file.
        .target(
            name: "SluiceSQLite",
            dependencies: [
                "SluiceCore",
                "CSluiceSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the writer's per-chunk statements (`RowStepper`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Scale-out backend: queue and document state in PostgreSQL, shared by many processes.
        .target(
            name: "SluicePostgres",
            dependencies: [
                "SluiceCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Scanner (and, later, the inotify watcher). Glibc file-system code lives here.
        .target(
            name: "SluiceWatch",
            dependencies: ["SluiceCore"],
            swiftSettings: swiftSettings
        ),
        // Extractors, chunkers, embedders, remote sinks.
        .target(
            name: "SluiceConnectors",
            dependencies: [
                "SluiceCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird routes; the one place errors become HTTP statuses.
        .target(
            name: "SluiceHTTP",
            dependencies: [
                "SluiceCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.embedInCode("Dashboard/dashboard.html"), .embedInCode("openapi.json")],
            swiftSettings: swiftSettings
        ),
        // Composition root: Configuration -> services. Used by the CLI and by tests.
        .target(
            name: "SluiceApp",
            dependencies: [
                "SluiceCore", "SluiceSQLite", "SluicePostgres", "SluiceWatch", "SluiceConnectors", "SluiceHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The benchmarks behind `sluice bench`: corpus generation, the bars and their correctness checks.
        .target(
            name: "SluiceBench",
            dependencies: [
                "SluiceApp", "SluiceCore", "SluiceConnectors", "SluiceHTTP", "SluiceWatch", "SluicePostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: a manual clock, corpus helpers and the conformance suites.
        .target(
            name: "SluiceTesting",
            dependencies: ["SluiceCore", "SluiceConnectors", "SluicePostgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceApp", "SluiceBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore", "SluiceTesting", "CSluiceKernels"], swiftSettings: swiftSettings),
        .testTarget(name: "SluiceConnectorsTests", dependencies: ["SluiceConnectors", "SluiceCore", "SluiceTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "SluiceWatchTests", dependencies: ["SluiceWatch", "SluiceCore", "SluiceTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceSQLiteTests",
            dependencies: ["SluiceSQLite", "SluiceCore", "SluiceTesting", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluicePostgresTests",
            dependencies: ["SluicePostgres", "SluiceCore", "SluiceTesting", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceAppTests",
            dependencies: [
                "SluiceApp", "SluiceBench", "SluiceSQLite", "SluiceCore", "SluiceConnectors", "SluiceTesting",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SluiceHTTPTests",
            dependencies: [
                "SluiceApp", "SluiceBench", "SluiceHTTP", "SluiceCore", "SluiceSQLite", "SluicePostgres", "SluiceConnectors", "SluiceTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: [
                "SluiceApp", "SluiceBench", "SluiceConnectors", "SluiceTesting", "SluiceCore", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
    ]
)

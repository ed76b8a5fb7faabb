import Foundation
import SluiceTesting
import Testing

/// deploy/: the systemd unit as systemd reads it, and the Containerfile's shape.
@Suite struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `systemd-analyze verify` on the unit, with its ExecStart pointed at the binary built here
    /// (verify refuses a command that is not there). verify exits 0 on a key it does not know or a
    /// value it cannot parse, and only says so: any output fails the test.
    @Test func theSystemdUnitVerifies() async throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("systemd-analyze is not installed: apt-get install systemd (.ci/run does)")
            return
        }
        let unit = try String(contentsOfFile: Self.root + "/deploy/systemd/sluice.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/sluice run --watch"))
        for hardening in ["NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectory=sluice", "User=sluice", "Restart=on-failure", "CapabilityBoundingSet="] {
            #expect(unit.contains("\n" + hardening), "\(hardening)")
        }
        let work = try TemporaryDirectory("sluice-unit")
        defer { work.remove() }
        let path = try work.write("sluice.service", unit.replacingOccurrences(of: "/usr/local/bin/sluice", with: try CrashSafetyTests.binary()))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let (status, data) = try await process.exited(reading: output)
        let said = String(decoding: data, as: UTF8.self)
        #expect(status == 0 && said.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify: \(said)")
    }

    /// The image can only be built with a container runtime and a registry, neither of which CI
    /// has; what can be checked here is that it builds the product Package.swift declares, runs as a
    /// user, keeps its data in a volume and checks its health where Sluice answers.
    @Test func theContainerfileBuildsSluiceAndRunsItUnprivileged() throws {
        let file = try String(contentsOfFile: Self.root + "/deploy/Containerfile", encoding: .utf8)
        let lines = file.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") }
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2, "a build stage and a runtime stage: \(stages)")
        #expect(stages.first?.contains("swift:") == true && stages.first?.hasSuffix(" AS build") == true)
        #expect(stages.last?.contains("debian:bookworm-slim") == true)
        let manifest = try String(contentsOfFile: Self.root + "/Package.swift", encoding: .utf8)
        #expect(manifest.contains(#".executable(name: "sluice", targets: ["sluice"])"#), "Package.swift declares the sluice product")
        #expect(file.contains("swift build -c release --product sluice"))
        #expect(file.contains("COPY --from=build /out/sluice /usr/local/bin/sluice"))
        let runtime = lines.drop { !$0.hasPrefix("FROM docker.io/library/debian") }
        #expect(runtime.contains { $0.hasPrefix("USER ") && $0 != "USER root" && $0 != "USER 0" }, "runs as a user of its own")
        #expect(runtime.contains(#"VOLUME ["/data"]"#) && file.contains("SLUICE_DATA_DIR=/data"))
        #expect(runtime.contains { $0.hasPrefix("HEALTHCHECK ") } && file.contains("/healthz"))
        #expect(file.contains("SLUICE_LISTEN=0.0.0.0:8080") && runtime.contains("EXPOSE 8080"))
        #expect(runtime.contains { $0.contains("poppler-utils") }, "pdftotext, for PDFs")
        let ignored = try String(contentsOfFile: Self.root + "/.dockerignore", encoding: .utf8)
        #expect(ignored.split(separator: "\n").contains(".build"), "the build context leaves .build out")
    }
}

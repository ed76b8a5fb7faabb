import Foundation
import Logging
import Synchronization
import SluiceApp
import SluiceCore
import SluiceTesting
import Testing

/// Settings are declared once (`Setting.all`) and read from a configuration
/// file, the environment and flags, each over the one before.
@Suite struct SettingsTests {
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as SluiceError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func everySettingReadsBackItsOwnDefault() throws {
        let defaults = Configuration()
        for setting in Setting.all where !setting.isSecret {
            let shown = setting.value(in: defaults)
            guard shown != "none" else { continue }
            var configuration = Configuration()
            try setting.apply(shown, to: &configuration, from: .environment)
            #expect(configuration == defaults, "\(setting.variable)=\(shown)")
        }
        #expect(Set(Setting.all.map(\.variable)).count == Setting.all.count, "one declaration per variable")
        #expect(Set(Setting.all.map(\.fileKey)).count == Setting.all.count)
    }

    @Test func aValueOutOfRangeSaysWhereItCameFromAndWhatItShouldBe() {
        #expect(message { _ = try Configuration.resolve(environment: ["SLUICE_BATCH_SIZE": "0"]) }
            == "SLUICE_BATCH_SIZE=0 is not a whole number from 1 to 10000")
        let batchSize = Setting.named("SLUICE_BATCH_SIZE")!
        #expect(message { _ = try Configuration.resolve(environment: [:], flags: [(batchSize, "lots")]) }
            == "--batch-size lots is not a whole number from 1 to 10000")
        #expect(message { _ = try Configuration.resolve(environment: ["SLUICE_SINK": "s3"]) }?
            .hasPrefix("SLUICE_SINK=s3 is not one of: embedded, qdrant, webhook, sluice") == true)
        #expect(message { _ = try Configuration.resolve(environment: ["SLUICE_TRUSTED_PROXIES": "10.0.0.0/99"]) }?
            .hasPrefix("SLUICE_TRUSTED_PROXIES=10.0.0.0/99 is not a comma-separated list of CIDR blocks") == true)
    }

    @Test func flagsOverTheEnvironmentOverTheFileOverDefaults() throws {
        let directory = try TemporaryDirectory("sluice-settings")
        defer { directory.remove() }
        let file = try directory.write("sluice.toml", """
            # Sluice on the file server
            concurrency = 8
            batch_size = 20   # small batches
            chunk_size = 1_200
            sink = "qdrant"
            qdrant_url = 'http://qdrant:6333'
            trusted_proxies = ["10.0.0.0/8", "fd00::/8"]
            metrics = false
            alert_error_rate = 0.25

            """)
        let configuration = try Configuration.resolve(
            environment: ["SLUICE_CONFIG": file, "SLUICE_BATCH_SIZE": "30", "SLUICE_CHUNK_SIZE": "900"],
            flags: [(Setting.named("SLUICE_CHUNK_SIZE")!, "1500")])
        #expect(configuration.concurrency == 8, "from the file")
        #expect(configuration.batchSize == 30, "the environment over the file")
        #expect(configuration.chunkSize == 1500, "the flag over both")
        #expect(configuration.sink == .qdrant && configuration.qdrantURL == "http://qdrant:6333")
        #expect(configuration.trustedProxies.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(!configuration.metricsEnabled && configuration.alertThresholds.errorRate == 0.25)
        #expect(configuration.embeddingDimension == Configuration().embeddingDimension, "a default where nothing sets it")

        let explicit = try Configuration.resolve(environment: ["SLUICE_CONFIG": "/nonexistent.toml"], configFile: file)
        #expect(explicit.concurrency == 8, "--config over SLUICE_CONFIG")
    }

    @Test func aFileMistakeNamesItsLine() throws {
        func problem(_ text: String) -> String? {
            message {
                var configuration = Configuration()
                try ConfigurationFile(path: "sluice.toml", text: text).apply(to: &configuration)
            }
        }
        #expect(problem("concurrency = 4\nbatchsize = 3\n") == "sluice.toml:2: batchsize is not a Sluice setting; `sluice help run` lists them (a file key is the variable without SLUICE_, lowercased)")
        #expect(problem("[sluice]\nconcurrency = 4\n")?.hasPrefix("sluice.toml:1: tables are not used") == true)
        #expect(problem("concurrency = 4\nconcurrency = 5\n") == "sluice.toml:2: concurrency is set twice (first on line 1)")
        #expect(problem("sink = qdrant\n")?.hasPrefix("sluice.toml:1: sink: \"qdrant\" is not a value: quote text") == true)
        #expect(problem("data_dir = \"/var/lib\n") == "sluice.toml:1: data_dir: the string has no closing \"")
        #expect(problem("\n\nconcurrency = 0\n") == "sluice.toml:3: concurrency = 0 is not a whole number from 1 to 1024")
        #expect(problem("webhook_url = \"http://hook\" trailing\n") == "sluice.toml:1: webhook_url: unexpected \"trailing\" after the value")
    }

    @Test func secretsAreNeverShown() {
        var configuration = Configuration()
        configuration.qdrantAPIKey = "hunter2"
        let setting = Setting.named("SLUICE_QDRANT_API_KEY")!
        #expect(setting.value(in: configuration) == "(set)")
        #expect(setting.value(in: Configuration()) == "none")
    }
}

/// What a container or a unit file sets instead of flags: where to listen and how much to log.
@Suite struct ServerSettingsTests {
    @Test func listenAndLogLevelComeFromTheEnvironmentOrTheirFlags() throws {
        let unset = try Configuration.resolve(environment: [:])
        #expect(unset.listen == nil, "unset: serve picks 127.0.0.1:8080, run --watch does not listen")
        #expect(unset.logLevel == .notice)

        let set = try Configuration.resolve(environment: ["SLUICE_LISTEN": "0.0.0.0:9090", "SLUICE_LOG_LEVEL": "WARNING"])
        #expect(set.listen == LiveSession.Listen(host: "0.0.0.0", port: 9090))
        #expect(set.logLevel == .warning)

        let flagged = try Configuration.resolve(
            environment: ["SLUICE_LISTEN": "0.0.0.0:9090"], flags: [(Setting.named("SLUICE_LISTEN")!, "[::1]:7700")])
        #expect(flagged.listen == LiveSession.Listen(host: "::1", port: 7700), "the flag over the environment")
    }

    @Test func aBadAddressOrLevelSaysWhatItShouldBe() {
        #expect(throws: SluiceError.self) { try Configuration.resolve(environment: ["SLUICE_LISTEN": "8080"]) }
        do {
            _ = try Configuration.resolve(environment: ["SLUICE_LISTEN": "8080"])
        } catch let error as SluiceError {
            #expect(error.message == "SLUICE_LISTEN=8080 is not HOST:PORT, for example 0.0.0.0:8080 or [::1]:8080")
        } catch {}
        do {
            _ = try Configuration.resolve(environment: ["SLUICE_LOG_LEVEL": "loud"])
            Issue.record("a level that does not exist was taken")
        } catch let error as SluiceError {
            #expect(error.message.hasPrefix("SLUICE_LOG_LEVEL=loud is not one of: trace, debug, info, notice, warning, error, critical"))
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// `--log-format json`: log shippers get numbers as numbers.
@Suite struct JSONLogHandlerTests {
    @Test func metadataKeepsItsTypes() throws {
        let lines = Mutex<[Data]>([])
        var handler = JSONLogHandler(label: "sluice.test", level: .info) { data in lines.withLock { $0.append(data) } }
        handler[metadataKey: "process"] = "worker-1"
        var logger = Logger(label: "sluice.test") { _ in handler }
        logger.logLevel = .info
        logger.debug("not written: below the level")
        logger.warning("alert raised", metadata: [
            "value": .stringConvertible(0.25), "threshold": .stringConvertible(0.2), "lastedSeconds": .stringConvertible(42),
            "open": .stringConvertible(true), "destination": "qdrant", "doc": "acme/a.md",
            "detail": .dictionary(["attempts": .stringConvertible(3), "reasons": .array(["timeout", .stringConvertible(503)])]),
        ])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n") && !line.dropLast().contains(UInt8(ascii: "\n")), "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "alert raised")
        #expect(object["process"] as? String == "worker-1")
        #expect(object["destination"] as? String == "qdrant")
        // JSONSerialization gives NSNumber for numbers and booleans; strings stay strings.
        #expect((object["value"] as? NSNumber)?.doubleValue == 0.25 && !(object["value"] is String))
        #expect((object["lastedSeconds"] as? NSNumber)?.intValue == 42 && !(object["lastedSeconds"] is String))
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains("\"lastedSeconds\":42") && text.contains("\"value\":0.25") && text.contains("\"open\":true"), "\(text)")
        #expect(text.contains("\"detail\":{\"attempts\":3,\"reasons\":[\"timeout\",503]}"), "\(text)")
    }

    /// What a tenant controls reaches log lines (document names, a service's answer in a failure
    /// reason): a name made to look like a second log line stays inside its one line, as a string.
    @Test func aTenantsHostileTextStaysInsideItsLine() throws {
        let lines = Mutex<[Data]>([])
        let handler = JSONLogHandler(label: "sluice.test", level: .info) { data in lines.withLock { $0.append(data) } }
        let logger = Logger(label: "sluice.test") { _ in handler }
        let forged = "a.md\n{\"level\":\"critical\",\"message\":\"forged\"}\r\u{0}\u{1B}[31m\u{2028}\"}"
        logger.error("document failed for good: \(forged)", metadata: ["doc": "acme/\(forged)", "reason": .stringConvertible(forged)])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1 && line.last == UInt8(ascii: "\n"), "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["level"] as? String == "error")
        #expect(object["doc"] as? String == "acme/" + forged)
        #expect(object["reason"] as? String == forged, "a string that is no number stays a string")
        #expect(object["message"] as? String == "document failed for good: " + forged)
    }
}


/// The text log format writes what swift-log's `StreamLogHandler` writes.
@Suite struct TextLogHandlerTests {
    final class Lines: TextOutputStream, Sendable {
        let written = Mutex<[String]>([])
        func write(_ string: String) { written.withLock { $0.append(string) } }
    }

    @Test func linesAreStreamLogHandlersLines() throws {
        let ours = Lines()
        let theirs = Lines()
        var text = TextLogHandler(label: "sluice.test", level: .info, stream: ours)
        var stream = StreamLogHandler(label: "sluice.test", stream: theirs)
        stream.logLevel = .info
        for handler in [text as any LogHandler, stream] {
            var logger = Logger(label: "sluice.test") { _ in handler }
            logger[metadataKey: "hb.request.id"] = "abc"
            logger[metadataKey: "process"] = "worker-1"
            logger[metadataKey: "process"] = "worker-2"
            logger.debug("not written: below the level")
            logger.warning("alert raised", metadata: ["doc": "acme/a.md", "value": .stringConvertible(0.25)])
            logger[metadataKey: "hb.request.id"] = nil
            logger.error("failed")
        }
        // Set on the handlers themselves too, as `Logger` does.
        text[metadataKey: "z"] = "last"
        stream[metadataKey: "z"] = "last"
        text.log(event: LogEvent(level: .info, message: "direct", metadata: nil, source: "Sluice", file: #file, function: #function, line: #line))
        stream.log(event: LogEvent(level: .info, message: "direct", metadata: nil, source: "Sluice", file: #file, function: #function, line: #line))
        // The first word is the time, which may differ by a second.
        func withoutTimes(_ lines: Lines) -> [String] { lines.written.withLock { $0 }.map { String($0.drop { $0 != " " }) } }
        let written = withoutTimes(ours)
        #expect(written.count == 3)
        #expect(written == withoutTimes(theirs))
        #expect(written.first?.contains("doc=acme/a.md hb.request.id=abc process=worker-2 value=0.25") == true, "\(written)")
    }
}

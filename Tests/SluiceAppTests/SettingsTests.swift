import Foundation
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

import SluiceCore

/// One setting, declared once: its environment variable (and, lowercased
/// without `SLUICE_`, its key in a configuration file), its command-line flag
/// when it has one, what it does, and how a text becomes its value in
/// `Configuration`, range included. Reading each source, `sluice help run`
/// and the settings `status` prints all come from `Setting.all`; the default
/// is the value a fresh `Configuration` holds.
public struct Setting: Sendable {
    /// SLUICE_BATCH_SIZE.
    public let variable: String
    /// --batch-size, for the settings a command also takes as a flag.
    public let flag: String?
    public let summary: String
    /// A key or secret: never printed, only whether it is set.
    public let isSecret: Bool
    /// Sets the value, or says what the text should have been.
    let assign: @Sendable (inout Configuration, String) throws(Setting.Refusal) -> Void
    /// The value as text; nil when unset.
    let describe: @Sendable (Configuration) -> String?

    /// What a text that cannot be the setting's value should have been.
    public struct Refusal: Error {
        public var expected: String
    }

    /// batch_size: the setting's key in a configuration file.
    public var fileKey: String { String(variable.dropFirst("SLUICE_".count)).lowercased() }

    /// Where a setting's text came from, for the error that names it.
    public enum Source: Sendable, Equatable {
        case environment
        case flag
        case file(path: String, line: Int)
    }

    /// Sets the setting from `raw`; an error names the source, the text and
    /// what it should have been (a secret's text is not repeated).
    public func apply(_ raw: String, to configuration: inout Configuration, from source: Source) throws {
        do {
            try assign(&configuration, raw.trimmingCharacters(in: .whitespaces))
        } catch {
            let shown = isSecret ? "(the value given)" : raw.count > 80 ? String(raw.prefix(80)) + "…" : raw
            let given = switch source {
            case .environment: "\(variable)=\(shown)"
            case .flag: "\(flag ?? variable) \(shown)"
            case .file(let path, let line): "\(path):\(line): \(fileKey) = \(shown)"
            }
            throw SluiceError(.configuration, "\(given) is not \(error.expected)")
        }
    }

    /// The setting's value in `configuration` as `status` and help show it.
    public func value(in configuration: Configuration) -> String {
        guard let text = describe(configuration) else { return "none" }
        return isSecret ? "(set)" : text
    }
}

extension Setting {
    /// A whole number in `range`, stored as it is.
    static func int(
        _ variable: String, flag: String? = nil, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, Int> & Sendable,
        _ range: ClosedRange<Int>
    ) -> Setting {
        number(variable, flag: flag, summary, range, set: { $0[keyPath: keyPath] = $1 }, get: { $0[keyPath: keyPath] })
    }

    /// A whole number of `unit` in `range`, stored as a `Duration`.
    static func duration(
        _ variable: String, flag: String? = nil, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, Duration> & Sendable,
        _ range: ClosedRange<Int>, unit: Duration
    ) -> Setting {
        number(
            variable, flag: flag, summary, range, set: { $0[keyPath: keyPath] = unit * $1 },
            get: { Int($0[keyPath: keyPath] / unit) })
    }

    /// A whole number in `range` with its own conversion (0 meaning none, megabytes...).
    static func number(
        _ variable: String, flag: String? = nil, _ summary: String, _ range: ClosedRange<Int>,
        set: @escaping @Sendable (inout Configuration, Int) -> Void, get: @escaping @Sendable (Configuration) -> Int
    ) -> Setting {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        return Setting(
            variable: variable, flag: flag, summary: summary, isSecret: false,
            assign: { configuration, raw throws(Refusal) in
                guard let value = Int(raw), range.contains(value) else { throw Refusal(expected: expected) }
                set(&configuration, value)
            },
            describe: { String(get($0)) })
    }

    /// Free text (a URL, a name, a path); empty leaves it as it was.
    static func text(
        _ variable: String, flag: String? = nil, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, String?> & Sendable,
        secret: Bool = false
    ) -> Setting {
        Setting(
            variable: variable, flag: flag, summary: summary, isSecret: secret,
            assign: { configuration, raw in if !raw.isEmpty { configuration[keyPath: keyPath] = raw } },
            describe: { $0[keyPath: keyPath] })
    }

    /// Free text with a default; empty leaves it as it was.
    static func text(
        _ variable: String, flag: String? = nil, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, String> & Sendable
    ) -> Setting {
        Setting(
            variable: variable, flag: flag, summary: summary, isSecret: false,
            assign: { configuration, raw in if !raw.isEmpty { configuration[keyPath: keyPath] = raw } },
            describe: { $0[keyPath: keyPath] })
    }

    /// One of an enumeration's names, case-insensitively.
    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ variable: String, flag: String? = nil, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, Value> & Sendable
    ) -> Setting where Value.RawValue == String {
        let expected = "one of: " + Value.allCases.map(\.rawValue).joined(separator: ", ")
        return Setting(
            variable: variable, flag: flag, summary: summary, isSecret: false,
            assign: { configuration, raw throws(Refusal) in
                guard let value = Value(rawValue: raw.lowercased()) else { throw Refusal(expected: expected) }
                configuration[keyPath: keyPath] = value
            },
            describe: { $0[keyPath: keyPath].rawValue })
    }

    /// Comma-separated CIDR blocks (an address alone is its /32 or /128).
    static func cidrs(_ variable: String, _ summary: String, _ keyPath: any WritableKeyPath<Configuration, [CIDRBlock]> & Sendable) -> Setting {
        Setting(
            variable: variable, flag: nil, summary: summary, isSecret: false,
            assign: { configuration, raw throws(Refusal) in
                do {
                    configuration[keyPath: keyPath] = try CIDRBlock.list(raw)
                } catch {
                    throw Refusal(expected: "a comma-separated list of CIDR blocks such as 10.0.0.0/8,fd00::/8 (\((error as? SluiceError)?.message ?? "\(error)"))")
                }
            },
            describe: { configuration in
                let blocks = configuration[keyPath: keyPath]
                return blocks.isEmpty ? nil : blocks.map(\.description).joined(separator: ",")
            })
    }
}

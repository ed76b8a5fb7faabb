/// Where a chunk lies in its document: the headings above its start
/// (outermost first, e.g. Handbook > Leave > Vacation) and the pages, slides
/// or sheets its text comes from. Empty for a chunk of a document without
/// headings or such parts.
///
/// In JSON (search results, exports, the Qdrant and webhook payloads) it is
/// flattened into the chunk's object: `headingPath` (an array, absent when
/// empty), then for each kind of part either the singular key with one value
/// (`"page": 3`, `"slide": 2`, `"sheet": "Budget"`) or the plural key with
/// every one the chunk's text comes from, in order (`"pages": [3, 4]`).
/// Page and slide numbers are integers.
public struct ChunkLocation: Sendable, Equatable, Hashable {
    /// At most six levels (Markdown's), each at most `maxHeadingScalars`.
    public var headingPath: [String]
    /// At most `maxPlaces` (the first ones).
    public var places: [ChunkPlace]

    public static let maxHeadingScalars = 200
    public static let maxLabelScalars = 100
    public static let maxPlaces = 100

    public init(headingPath: [String] = [], places: [ChunkPlace] = []) {
        self.headingPath = headingPath
        self.places = places
    }

    public var isEmpty: Bool { headingPath.isEmpty && places.isEmpty }

    /// The heading path as people read it: `Handbook > Leave > Vacation`.
    public var headingPathText: String { headingPath.joined(separator: " > ") }

    /// The parts as people read them: `page 3`, `pages 3-5, 7`, `sheet Budget`, `sheets Q1, Q2`.
    public var placesText: String {
        Place.Kind.allCases.compactMap { kind -> String? in
            let labels = places.filter { $0.kind == kind }.map(\.label)
            guard let first = labels.first else { return nil }
            if labels.count == 1 { return "\(kind.rawValue) \(first)" }
            let numbers = labels.compactMap { Int($0) }
            guard numbers.count == labels.count else { return "\(kind.plural) " + labels.joined(separator: ", ") }
            // Runs of consecutive numbers as ranges.
            var runs: [String] = []
            var start = numbers[0]
            for (index, number) in numbers.enumerated() where index + 1 == numbers.count || numbers[index + 1] != number + 1 {
                runs.append(start == number ? "\(number)" : "\(start)-\(number)")
                if index + 1 < numbers.count { start = numbers[index + 1] }
            }
            return "\(kind.plural) " + runs.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    /// Text fit for a heading or a label: control characters dropped, blanks
    /// collapsed, at most `maxScalars` characters (with an ellipsis when cut).
    public static func clean(_ text: some StringProtocol, maxScalars: Int) -> String {
        // Most titles are printable ASCII with single spaces inside: nothing to do.
        var plain = text.utf8.count <= maxScalars
        var previous: UInt8 = 0x20
        for byte in text.utf8 {
            guard plain else { break }
            plain = byte > 0x20 && byte < 0x7F || byte == 0x20 && previous != 0x20
            previous = byte
        }
        if plain && previous != 0x20 { return String(text) }
        var scalars: [Unicode.Scalar] = []
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if pendingSpace { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
            if scalars.count > maxScalars { break }
        }
        if scalars.count > maxScalars { scalars = scalars.prefix(max(0, maxScalars - 1)) + ["…"] }
        var cleaned = String.UnicodeScalarView()
        cleaned.append(contentsOf: scalars)
        return String(cleaned)
    }
}

/// One page, slide or sheet a chunk's text comes from.
public struct ChunkPlace: Sendable, Equatable, Hashable {
    public typealias Kind = Place.Kind

    public var kind: Kind
    /// The page or slide number ("3"), or the sheet's name.
    public var label: String

    public init(_ kind: Kind, _ label: String) {
        self.kind = kind
        self.label = label
    }
}

extension Place.Kind {
    public var plural: String { rawValue + "s" }
}

extension ChunkLocation: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Encodes into the enclosing object's keys (see the type's description).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        if !headingPath.isEmpty { try container.encode(headingPath, forKey: Key("headingPath")) }
        for kind in Place.Kind.allCases {
            let labels = places.filter { $0.kind == kind }.map(\.label)
            guard !labels.isEmpty else { continue }
            let numbers = kind == .sheet ? nil : labels.map { Int($0) }
            if labels.count == 1 {
                if let number = numbers?[0] {
                    try container.encode(number, forKey: Key(kind.rawValue))
                } else {
                    try container.encode(labels[0], forKey: Key(kind.rawValue))
                }
            } else if let numbers, numbers.allSatisfy({ $0 != nil }) {
                try container.encode(numbers.compactMap { $0 }, forKey: Key(kind.plural))
            } else {
                try container.encode(labels, forKey: Key(kind.plural))
            }
        }
    }

    /// Reads the keys `encode(to:)` writes, ignoring every other key of the object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        headingPath = try container.decodeIfPresent([String].self, forKey: Key("headingPath")) ?? []
        places = []
        func label(_ key: Key) -> String? {
            if let number = try? container.decode(Int.self, forKey: key) { return String(number) }
            return try? container.decode(String.self, forKey: key)
        }
        for kind in Place.Kind.allCases {
            if let one = label(Key(kind.rawValue)) {
                places.append(ChunkPlace(kind, one))
            } else if let many = try? container.decode([Int].self, forKey: Key(kind.plural)) {
                places += many.map { ChunkPlace(kind, String($0)) }
            } else if let many = try? container.decode([String].self, forKey: Key(kind.plural)) {
                places += many.map { ChunkPlace(kind, $0) }
            }
        }
    }
}

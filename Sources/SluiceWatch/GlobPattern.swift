import SluiceCore

/// A gitignore-style glob matched against `/`-separated relative paths.
///
/// `*` matches within one path segment, `?` one character, `[a-z]` / `[!x]`
/// a character class, and `**` any number of segments. A pattern without a
/// `/` matches a file or directory name at any depth; one with a `/` is
/// anchored at the tenant folder (a leading `/` is allowed). A trailing `/`
/// matches directories only.
public struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    public let source: String
    let segments: [String]
    let anchored: Bool
    public let directoryOnly: Bool

    public init(_ source: String) throws {
        var pattern = source.trimmingWhitespace()
        guard !pattern.isEmpty else {
            throw SluiceError(.invalidInput, "empty glob pattern", field: "pattern")
        }
        self.source = pattern
        directoryOnly = pattern.hasSuffix("/")
        if directoryOnly { pattern.removeLast() }
        let rooted = pattern.hasPrefix("/")
        if rooted { pattern.removeFirst() }
        anchored = rooted || pattern.contains("/")
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !segments.isEmpty else {
            throw SluiceError(.invalidInput, "glob pattern \"\(source)\" matches nothing; write a name or path such as \"drafts/\" or \"*.log\"", field: "pattern")
        }
        for segment in segments where segment.filter({ $0 == "[" }).count != segment.filter({ $0 == "]" }).count {
            throw SluiceError(.invalidInput, "glob pattern \"\(source)\" has an unclosed [ character class", field: "pattern")
        }
    }

    public var description: String { source }

    /// Whether `path` (relative, `/`-separated) matches; `isDirectory` tells
    /// whether it names a directory.
    public func matches(_ path: String, isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if anchored {
            return GlobPattern.match(segments[...], parts[...])
        }
        guard let name = parts.last else { return false }
        return GlobPattern.matchSegment(Array(segments[0].unicodeScalars)[...], Array(name.unicodeScalars)[...])
    }

    static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            for skip in 0...path.count where match(rest, path.dropFirst(skip)) { return true }
            return false
        }
        guard let segment = path.first else { return false }
        return matchSegment(Array(first.unicodeScalars)[...], Array(segment.unicodeScalars)[...])
            && match(pattern.dropFirst(), path.dropFirst())
    }

    static func matchSegment(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let head = pattern.first else { return name.isEmpty }
        switch head {
        case "*":
            let rest = pattern.dropFirst()
            for skip in 0...name.count where matchSegment(rest, name.dropFirst(skip)) { return true }
            return false
        case "?":
            return !name.isEmpty && matchSegment(pattern.dropFirst(), name.dropFirst())
        case "[":
            guard let char = name.first, let close = pattern.dropFirst(2).firstIndex(of: "]") else { return false }
            var set = pattern[(pattern.startIndex + 1)..<close]
            let negated = set.first == "!" || set.first == "^"
            if negated { set = set.dropFirst() }
            var found = false
            var index = set.startIndex
            while index < set.endIndex {
                if index + 2 < set.endIndex, set[index + 1] == "-" {
                    if set[index].value <= char.value && char.value <= set[index + 2].value { found = true }
                    index += 3
                } else {
                    if set[index] == char { found = true }
                    index += 1
                }
            }
            return found != negated && matchSegment(pattern[(close + 1)...], name.dropFirst())
        case "\\" where pattern.count > 1:
            let literal = pattern[pattern.startIndex + 1]
            return name.first == literal && matchSegment(pattern.dropFirst(2), name.dropFirst())
        default:
            return name.first == head && matchSegment(pattern.dropFirst(), name.dropFirst())
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}

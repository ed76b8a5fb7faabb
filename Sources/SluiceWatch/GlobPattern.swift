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
    let compiled: [Segment]
    let anchored: Bool
    public let directoryOnly: Bool

    public init(_ source: String) throws {
        var pattern = source.trimmingWhitespace()
        guard !pattern.isEmpty else {
            throw SluiceError(.invalidInput, "empty glob pattern", field: "pattern")
        }
        guard pattern.unicodeScalars.count <= GlobPattern.maximumLength else {
            throw SluiceError(
                .invalidInput, "glob pattern of \(pattern.unicodeScalars.count) characters is longer than \(GlobPattern.maximumLength); shorten it",
                field: "pattern")
        }
        self.source = pattern
        directoryOnly = pattern.hasSuffix("/")
        if directoryOnly { pattern.removeLast() }
        let rooted = pattern.hasPrefix("/")
        if rooted { pattern.removeFirst() }
        anchored = rooted || pattern.contains("/")
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.isEmpty else {
            throw SluiceError(.invalidInput, "glob pattern \"\(source)\" matches nothing; write a name or path such as \"drafts/\" or \"*.log\"", field: "pattern")
        }
        for segment in segments where segment.filter({ $0 == "[" }).count != segment.filter({ $0 == "]" }).count {
            throw SluiceError(.invalidInput, "glob pattern \"\(source)\" has an unclosed [ character class", field: "pattern")
        }
        compiled = segments.map(Segment.init)
    }

    public var description: String { source }

    /// Longest pattern accepted (characters): matching costs at most the
    /// pattern's length times the path's, so both are bounded.
    public static let maximumLength = 1024

    /// Whether `path` (relative, `/`-separated) matches; `isDirectory` tells
    /// whether it names a directory.
    public func matches(_ path: String, isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if anchored {
            return GlobPattern.match(compiled[...], parts[...])
        }
        guard let name = parts.last else { return false }
        return compiled[0].matches(Array(name.unicodeScalars))
    }

    /// Segments against path components, `**` matching any number of them.
    static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Substring>) -> Bool {
        greedyMatch(
            patternCount: pattern.count, inputCount: path.count,
            isRun: { pattern[pattern.startIndex + $0].isAnyDepth },
            accepts: { pattern[pattern.startIndex + $0].matches(Array(path[path.startIndex + $1].unicodeScalars)) })
    }

    /// Wildcard matching, greedy with one backtrack point (the last run
    /// wildcard: `*` in a segment, `**` over segments). Each (pattern item,
    /// input item) pair is tried at most once per backtrack, so the cost is
    /// bounded by their product, never exponential as plain recursion is.
    static func greedyMatch(
        patternCount: Int, inputCount: Int, isRun: (Int) -> Bool, accepts: (Int, Int) -> Bool
    ) -> Bool {
        var p = 0
        var n = 0
        var backtrack: (pattern: Int, input: Int)? = nil
        while n < inputCount {
            if p < patternCount, isRun(p) {
                backtrack = (p, n)
                p += 1
            } else if p < patternCount, accepts(p, n) {
                p += 1
                n += 1
            } else if let last = backtrack {
                backtrack = (last.pattern, last.input + 1)
                p = last.pattern + 1
                n = last.input + 1
            } else {
                return false
            }
        }
        while p < patternCount, isRun(p) { p += 1 }
        return p == patternCount
    }

    /// One path segment of a pattern, parsed once.
    struct Segment: Sendable, Equatable {
        enum Token: Sendable, Equatable {
            case literal(Unicode.Scalar)
            case any
            case anyRun
            case set(ranges: [ClosedRange<UInt32>], negated: Bool)
        }

        let tokens: [Token]
        let isAnyDepth: Bool

        init(_ source: Substring) {
            isAnyDepth = source == "**"
            var tokens: [Token] = []
            let scalars = Array(source.unicodeScalars)
            var index = 0
            while index < scalars.count {
                let scalar = scalars[index]
                switch scalar {
                case "*":
                    if tokens.last != .anyRun { tokens.append(.anyRun) }
                case "?":
                    tokens.append(.any)
                case "[":
                    guard let close = scalars[(index + 2 < scalars.count ? index + 2 : scalars.count)...].firstIndex(of: "]") else {
                        tokens.append(.literal(scalar))
                        break
                    }
                    var body = scalars[(index + 1)..<close]
                    let negated = body.first == "!" || body.first == "^"
                    if negated { body = body.dropFirst() }
                    var ranges: [ClosedRange<UInt32>] = []
                    var at = body.startIndex
                    while at < body.endIndex {
                        if at + 2 < body.endIndex, body[at + 1] == "-", body[at].value <= body[at + 2].value {
                            ranges.append(body[at].value...body[at + 2].value)
                            at += 3
                        } else {
                            ranges.append(body[at].value...body[at].value)
                            at += 1
                        }
                    }
                    tokens.append(.set(ranges: ranges, negated: negated))
                    index = close
                case "\\" where index + 1 < scalars.count:
                    index += 1
                    tokens.append(.literal(scalars[index]))
                default:
                    tokens.append(.literal(scalar))
                }
                index += 1
            }
            self.tokens = tokens
        }

        /// Whether a name (one path component) matches: at most tokens × characters steps.
        func matches(_ name: [Unicode.Scalar]) -> Bool {
            GlobPattern.greedyMatch(
                patternCount: tokens.count, inputCount: name.count,
                isRun: { tokens[$0] == .anyRun }, accepts: { Segment.accepts(tokens[$0], name[$1]) })
        }

        static func accepts(_ token: Token, _ scalar: Unicode.Scalar) -> Bool {
            switch token {
            case .literal(let literal): literal == scalar
            case .any: true
            case .anyRun: false
            case .set(let ranges, let negated): ranges.contains { $0.contains(scalar.value) } != negated
            }
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

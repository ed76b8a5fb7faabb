import Hummingbird

/// Header values read on their bytes. Every request's `Content-Type` (and,
/// with keys on, `Authorization`; without, `Host`) is checked, and Foundation's
/// string functions (trimming, case folding) cost more there than the rest of the checks.
enum HeaderBytes {
    /// `bytes` without the spaces and tabs around them.
    static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let start = bytes.drop(while: isSpace)
        return start[..<(start.lastIndex { !isSpace($0) }.map(start.index(after:)) ?? start.startIndex)]
    }

    /// Whether `bytes` are `lowercase` with any ASCII letters in either case.
    static func equalIgnoringCase(_ bytes: Substring.UTF8View, _ lowercase: String) -> Bool {
        bytes.lazy.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }.elementsEqual(lowercase.utf8)
    }
}

extension HTTPFields {
    /// The value of the field `name`, as `self[name]` gives it (several
    /// fields of that name joined), without building that join for the usual
    /// single field: the subscript joins through a lazy map on every call.
    func value(_ name: Element.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            guard found == nil else { return self[name] }
            found = field.value
        }
        return found
    }
}

extension HTTPFields.Element.Name {
    /// Made once: a name built from a string is checked and lowercased each time.
    static let xForwardedFor = Self("X-Forwarded-For")!
}

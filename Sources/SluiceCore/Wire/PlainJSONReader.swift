/// Reads JSON of a known, plain shape straight from its bytes: objects whose
/// members are strings, booleans, nulls or further such objects.
///
/// Foundation's `JSONDecoder` builds a tree of the whole body, boxes every
/// value and walks coding paths: for a published document that was a
/// seventh of the request's CPU. A type that knows its own shape reads it
/// here instead, and gives up (nil) on anything it does not expect: a
/// number, an array, an unknown or repeated key, an escape it would have to
/// guess at (a lone surrogate), bytes that are not UTF-8. Its caller then
/// decodes the same bytes with `JSONDecoder`, which decides what is valid
/// and words the error. So this reader never accepts what Foundation
/// refuses, and never reads a value differently (`PlainJSONReaderTests`
/// compares the two on generated and mangled bodies).
public struct PlainJSONReader: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Not a JSON value the reader can read: the caller falls back to `JSONDecoder`.
    public struct Unreadable: Error {}

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `read` over `body` (one top-level value, whitespace around it
    /// allowed); nil when `read` or the reader gives up, or bytes are left over.
    public static func read<T>(_ body: [UInt8], _ read: (inout PlainJSONReader) throws -> T) -> T? {
        body.withUnsafeBufferPointer { buffer in
            var reader = PlainJSONReader(buffer)
            reader.skipWhitespace()
            guard let value = try? read(&reader) else { return nil }
            reader.skipWhitespace()
            return reader.index == buffer.count ? value : nil
        }
    }

    /// Reads an object, calling `member` with each key in turn; `member` must
    /// read exactly one value for the key (or throw), and give up on a key it
    /// has met before: which of the two counts is the decoder's call.
    public mutating func readObject(_ member: (String, inout PlainJSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(key, &self)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw Unreadable()
            }
        }
    }

    /// Reads an array, calling `element` for each element; `element` must
    /// read exactly one value (or throw).
    public mutating func readArray(_ element: (inout PlainJSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw Unreadable()
            }
        }
    }

    /// Whether the next value is `null`; if so it is read.
    public mutating func readNull() -> Bool {
        guard matches("null") else { return false }
        index += 4
        return true
    }

    /// A string, or nil for `null`.
    public mutating func readOptionalString() throws -> String? {
        readNull() ? nil : try readString()
    }

    /// A boolean, or nil for `null`.
    public mutating func readOptionalBool() throws -> Bool? {
        if readNull() { return nil }
        if matches("true") {
            index += 4
            return true
        }
        if matches("false") {
            index += 5
            return false
        }
        throw Unreadable()
    }

    /// A string: its bytes as they are when there is no escape, one pass and one copy.
    public mutating func readString() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var allBits: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                // ASCII (most keys and values) is valid UTF-8 as it is; the rest is validated.
                if allBits < 0x80 { return String(decoding: text, as: UTF8.self) }
                guard let string = String(validating: text, as: UTF8.self) else { throw Unreadable() }
                return string
            }
            allBits |= byte
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            // Control characters must be escaped in JSON.
            guard byte >= 0x20 else { throw Unreadable() }
            index += 1
        }
        throw Unreadable()
    }

    /// The rest of a string that has escapes, from its first byte at `start`.
    private mutating func readEscapedString(from start: Int) throws -> String {
        var text: [UInt8] = []
        text.reserveCapacity(index - start + 16)
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: text, as: UTF8.self) else { throw Unreadable() }
                return string
            case UInt8(ascii: "\\"):
                guard let escaped = next() else { throw Unreadable() }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"): text.append(contentsOf: String(try readUnicodeEscape()).utf8)
                default: throw Unreadable()
                }
            case 0..<0x20:
                throw Unreadable()
            default:
                text.append(byte)
            }
        }
        throw Unreadable()
    }

    /// The scalar of a `\uXXXX` escape (the `\u` read), a surrogate pair taken
    /// whole; a lone surrogate gives up.
    private mutating func readUnicodeEscape() throws -> Unicode.Scalar {
        let unit = try readHex4()
        switch unit {
        case 0xD800..<0xDC00:
            guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw Unreadable() }
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw Unreadable() }
            let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw Unreadable() }
            return scalar
        case 0xDC00..<0xE000:
            throw Unreadable()
        default:
            guard let scalar = Unicode.Scalar(unit) else { throw Unreadable() }
            return scalar
        }
    }

    private mutating func readHex4() throws -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw Unreadable() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unreadable()
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard next() == byte else { throw Unreadable() }
    }

    /// Whether the bytes at the reader's position spell `literal`.
    private func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        return literal.withUTF8Buffer { expected in
            for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
            return true
        }
    }
}

extension IncomingDocument {
    /// A document read by `PlainJSONReader`: nil when the body is anything but
    /// the plain shape (any member the type does not have included), and the
    /// caller decodes it with `JSONDecoder` instead.
    public init?(plainJSON body: [UInt8]) {
        guard let document = PlainJSONReader.read(body, { reader in try IncomingDocument(reading: &reader) }) else { return nil }
        self = document
    }

    /// Reads a document's object; gives up (`PlainJSONReader.Unreadable`) as `init(plainJSON:)` does.
    public init(reading reader: inout PlainJSONReader) throws {
        var meta: DocumentMeta?
        var content: String??
        try reader.readObject { key, reader in
            switch key {
            case "meta" where meta == nil: meta = try DocumentMeta(reading: &reader)
            case "content" where content == nil: content = .some(try reader.readOptionalString())
            default: throw PlainJSONReader.Unreadable()
            }
        }
        guard let meta else { throw PlainJSONReader.Unreadable() }
        self.init(meta: meta, content: content ?? nil)
    }
}

extension DocumentMeta {
    fileprivate init(reading reader: inout PlainJSONReader) throws {
        var tenant: String?
        var docId: String?
        var meta = DocumentMeta(tenant: "", docId: "")
        var seen: UInt16 = 0
        /// Gives up on a member met before.
        func once(_ member: UInt16) throws {
            guard seen & (1 << member) == 0 else { throw PlainJSONReader.Unreadable() }
            seen |= 1 << member
        }
        try reader.readObject { key, reader in
            switch key {
            case "tenant": try once(0); tenant = try reader.readString()
            case "docId": try once(1); docId = try reader.readString()
            case "sha256": try once(2); meta.sha256 = try reader.readOptionalString()
            case "mimeType": try once(3); meta.mimeType = try reader.readOptionalString()
            case "title": try once(4); meta.title = try reader.readOptionalString()
            case "source": try once(5); meta.source = try reader.readOptionalString()
            case "modifiedAt": try once(6); meta.modifiedAt = try reader.readOptionalString()
            case "deleted": try once(7); meta.deleted = try reader.readOptionalBool()
            case "attributes":
                try once(8)
                if reader.readNull() { break }
                var attributes: [String: String] = [:]
                try reader.readObject { name, reader in
                    guard attributes.updateValue(try reader.readString(), forKey: name) == nil else { throw PlainJSONReader.Unreadable() }
                }
                meta.attributes = attributes
            default: throw PlainJSONReader.Unreadable()
            }
        }
        guard let tenant, let docId else { throw PlainJSONReader.Unreadable() }
        meta.tenant = tenant
        meta.docId = docId
        self = meta
    }
}

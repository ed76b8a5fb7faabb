/// Builds extracted text: collapses whitespace inside text runs, keeps the
/// line breaks that block elements ask for.
struct TextBuilder {
    private var bytes: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreaks = 0

    /// Text as a browser lays it out: runs of whitespace (no-break spaces too) are one space.
    mutating func appendText(_ text: [UInt8]) {
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                pendingSpace = true
            } else if byte == 0xC2 && index + 1 < text.count && text[index + 1] == 0xA0 {
                pendingSpace = true
                index += 1
            } else {
                flushPending()
                bytes.append(byte)
            }
            index += 1
        }
    }

    /// Text of a `<pre>`: every space and line break as written (carriage returns dropped).
    mutating func appendPreformatted(_ text: [UInt8]) {
        guard !text.isEmpty else { return }
        flushPending()
        bytes.append(contentsOf: text.lazy.filter { $0 != 0x0D })
    }

    mutating func appendRaw(_ text: [UInt8]) {
        flushPending()
        bytes.append(contentsOf: text)
    }

    mutating func appendBreak(_ lines: Int) {
        pendingBreaks = max(pendingBreaks, lines)
        pendingSpace = false
    }

    private mutating func flushPending() {
        if pendingBreaks > 0 {
            if !bytes.isEmpty { bytes.append(contentsOf: repeatElement(0x0A, count: pendingBreaks)) }
            pendingBreaks = 0
            pendingSpace = false
        } else if pendingSpace {
            if !bytes.isEmpty { bytes.append(0x20) }
            pendingSpace = false
        }
    }

    func finish() -> String { String(decoding: bytes, as: UTF8.self) }
}

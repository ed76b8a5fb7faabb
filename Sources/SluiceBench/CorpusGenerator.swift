import Foundation
import SluiceApp
import SluiceCore

/// Generates a synthetic corpus from a fixed seed: Markdown with headings
/// and paragraphs, log-normal sizes (median about 3 KB, capped at 200 KB),
/// spread over tenants and folders. The same seed always gives the same files.
public struct CorpusGenerator: Sendable {
    public var files: Int
    public var tenants: Int
    public var seed: UInt64
    public var medianBytes = 3000.0
    /// Log-normal sigma: with the median of 3 KB this gives about 6.5 KB a file on average.
    public var sigma = 1.25
    public var capBytes = 200_000
    public var filesPerFolder = 100

    public init(files: Int, tenants: Int = 5, seed: UInt64 = 42) {
        self.files = files
        self.tenants = max(1, tenants)
        self.seed = seed
    }

    /// The relative path of file number `index`.
    public func relativePath(_ index: Int) -> String {
        let tenant = index % tenants
        let folder = (index / tenants) / filesPerFolder
        return String(format: "tenant-%d/section-%03d/doc-%06d.md", tenant, folder, index)
    }

    /// Writes every file under `root`; returns the total bytes written.
    @discardableResult
    public func write(to root: String) throws -> Int {
        var random = SplitMix64(seed: seed)
        var total = 0
        for index in 0..<files {
            let size = sampleSize(&random)
            let text = document(index: index, bytes: size, random: &random)
            try write(text, to: root + "/" + relativePath(index))
            total += text.count
        }
        return total
    }

    /// Appends a section to file `index` (a "modification").
    public func modify(_ index: Int, under root: String, round: Int = 1) throws {
        var random = SplitMix64(seed: seed ^ UInt64(index) &* 0x9E37_79B9 ^ UInt64(round) << 40)
        var section = Array("\n\n## Update \(round)\n\n".utf8)
        section += paragraph(&random, sentences: 4)
        section.append(0x0A)
        let url = URL(fileURLWithPath: root + "/" + relativePath(index))
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        handle.write(Data(section))
        try handle.close()
    }

    /// Writes a new file numbered `index` (at or past `files`).
    public func add(_ index: Int, under root: String) throws {
        var random = SplitMix64(seed: seed ^ 0xADD ^ UInt64(index))
        try write(document(index: index, bytes: sampleSize(&random), random: &random), to: root + "/" + relativePath(index))
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func sampleSize(_ random: inout SplitMix64) -> Int {
        // Box-Muller for a standard normal, then log-normal.
        let u1 = max(random.nextDouble(), 1e-12)
        let u2 = random.nextDouble()
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return min(capBytes, max(200, Int(medianBytes * exp(sigma * normal))))
    }

    func document(index: Int, bytes target: Int, random: inout SplitMix64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(target + 512)
        out += Array("# Document \(index): ".utf8) + title(&random) + [0x0A, 0x0A]
        var section = 1
        while out.count < target {
            out += Array("## ".utf8) + title(&random) + Array(" \(section)\n\n".utf8)
            section += 1
            let paragraphs = 1 + Int(random.next() % 4)
            for _ in 0..<paragraphs where out.count < target {
                out += paragraph(&random, sentences: 2 + Int(random.next() % 6))
                out += [0x0A, 0x0A]
            }
        }
        return out
    }

    func title(_ random: inout SplitMix64) -> [UInt8] {
        var words: [UInt8] = []
        for index in 0..<(2 + Int(random.next() % 3)) {
            if index > 0 { words.append(0x20) }
            words += CorpusGenerator.vocabulary[Int(random.next() % UInt64(CorpusGenerator.vocabulary.count))]
        }
        if let first = words.first, first >= 0x61 { words[0] = first - 32 }
        return words
    }

    func paragraph(_ random: inout SplitMix64, sentences: Int) -> [UInt8] {
        var out: [UInt8] = []
        for sentence in 0..<sentences {
            if sentence > 0 { out.append(0x20) }
            let words = 6 + Int(random.next() % 14)
            for word in 0..<words {
                if word > 0 { out.append(0x20) }
                var token = CorpusGenerator.vocabulary[Int(random.next() % UInt64(CorpusGenerator.vocabulary.count))]
                if word == 0 { token[0] -= 32 }
                out += token
            }
            out.append(0x2E)
        }
        return out
    }

    /// 4,000 pronounceable pseudo-words, fixed.
    static let vocabulary: [[UInt8]] = {
        var random = SplitMix64(seed: 7)
        let onsets = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "st", "tr", "pl"]
        let vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
        var words: [[UInt8]] = []
        for _ in 0..<4000 {
            var word = ""
            for _ in 0..<(1 + Int(random.next() % 3)) {
                word += onsets[Int(random.next() % UInt64(onsets.count))] + vowels[Int(random.next() % UInt64(vowels.count))]
            }
            words.append(Array(word.utf8))
        }
        return words
    }()
}
